"""Nurturing leads that are not ready for sales: enrol once, run each step at most once,
leave when the lead may no longer be nurtured.

- models: sequences, their steps, enrollments (the open one is a lead's current sequence)
  and step runs.
- enrollment: nurture_enroll, the first matching sequence for a lead routing leaves alone.
- leaving: nurture_leave, the one way out for leads that may no longer be nurtured.
- steps: nurture_advance and nurture_run_due, the runner.
- emails: nurture_email_send; texts: what a step's email may say, and its rendering.

Who may be nurtured is leads' definition (leads.selectors.NURTURE_ENDS); every write to a lead,
its timeline or its tasks goes through leads' services.
"""
