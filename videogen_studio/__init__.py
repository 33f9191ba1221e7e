"""VideoGen Studio: turn a typed script into a talking-head video through the VideoGen API."""

__version__ = "0.1.0"
