"""The run-failure monitor: a sensor recording failures in pipeline_errors and alerting."""
