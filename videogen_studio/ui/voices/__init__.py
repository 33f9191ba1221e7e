"""The voice browser: samples, filters by language, gender and accent, and presenters that fit a voice."""
