"""The document edit of each policy intent, by concern; `policies.edit.apply` picks one."""
