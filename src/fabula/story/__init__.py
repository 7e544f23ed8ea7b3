"""The story engine: bible, plan, drafting, canon, continuity, branches and export."""
