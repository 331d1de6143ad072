"""The scheduler: APScheduler 3 running govbot's jobs on the leader replica."""
