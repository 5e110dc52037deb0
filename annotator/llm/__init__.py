"""The LLM backend: claims from any OpenAI-compatible chat endpoint.

One module per concern: ``settings`` (what shapes requests; cheap to import, the CLI
reads it), ``transport`` (one request with retries, usage metering), ``answer`` (the
response model the model fills in, its grounding validator, salvage of a last answer),
``backend`` (pieces of an article, re-asks, merging). Importing this package imports
none of them, so ``annotator --help`` never loads openai or instructor.
"""
