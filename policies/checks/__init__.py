"""The checks of a ServicePolicy's fields, by concern (service, traffic, resilience), and
the checks of single values they share (`fields`).

`policies.kinds` names the check of each section: the service's own fields in
SERVICE_FIELDS, every policy section on its kind; `policies.document.validate` runs them.
Every problem starts with the dotted field it is about.
"""
