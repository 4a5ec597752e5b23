"""The crawl: one run's bookkeeping, the registry, what the spider hands on, the stages to the database, the nightly job and its alarms, distributed workers."""
