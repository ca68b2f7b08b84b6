"""Infrastructure: the CloudFormation template, the function wiring and the packager."""
