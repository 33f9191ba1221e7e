"""The Library page: every clip — local renders and the account's history on the service."""
