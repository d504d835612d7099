"""The mirror's work that is neither a route nor a table: look-ups, dumps, the API document."""
