"""One router per area of the OpenAI API."""
