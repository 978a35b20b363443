"""SQS worker Lambda: validates events, applies each one exactly once, reports failures per record."""
