"""The generation engine: decode loop, samplers, stop strings, constraints."""

from fabula.engine.constraints import Constraint, TokenFilter
from fabula.engine.decode import decode
from fabula.engine.runtime import LeanRuntime, Runtime, TransformersRuntime

__all__ = ["Constraint", "LeanRuntime", "Runtime", "TokenFilter", "TransformersRuntime", "decode"]
