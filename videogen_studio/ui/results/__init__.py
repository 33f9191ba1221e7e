"""The result view: a finished render shown big, its variations side by side, and file actions."""
