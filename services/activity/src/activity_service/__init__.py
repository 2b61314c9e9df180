"""Activity intake: org master data, the activity log, and the events they cause."""
