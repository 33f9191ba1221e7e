"""The GUI's controllers, one job each: tasks, session/account, render submission, notifications.

`ui/controller.py::StudioController` composes them for the window; widgets only emit signals.
"""
