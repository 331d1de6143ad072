"""Core value types and the error tree shared by every port; imports no adapter."""
