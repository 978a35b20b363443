"""SNS-triggered notifier Lambda (invoked asynchronously by SNS; destinations get its outcome)."""
