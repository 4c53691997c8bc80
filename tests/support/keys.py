"""Test-only keys (never used outside the tests)."""

# Private notes are encrypted at rest (tracker/crypto.py); a fixed key for the tests.
TEST_ENCRYPTION_KEY = "EulqDXXqXqvkJEWoeoMCBZiww8NDEO8GpGdwjrf8Kfw="
