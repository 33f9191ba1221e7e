"""The VideoGen API client layer. Import from the submodules; this package imports nothing on purpose,
so importing it stays cheap at start-up."""

__all__: list[str] = []
