"""The Dagster GraphQL API as the UI uses it: the dagster-graphql client for launching runs
and reading their status, raw queries over httpx for what the client lacks (backfills,
sensors, schedules, dynamic partitions, run timings, daemon health)."""

from __future__ import annotations

from typing import Any

import httpx
from dagster_graphql import DagsterGraphQLClient

REPOSITORY = "__repository__"  # the repository name of a code location's dg.Definitions
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

_INSTIGATION_TICKS = """
ticks(limit: 20) { status timestamp runIds skipReason error { message } }
"""

RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results {
      runId status jobName creationTime startTime endTime
      tags { key value }
      assetSelection { path }
      assetCheckSelection { name }
    } }
    ... on PythonError { message }
  }
}
"""


class GraphQLError(AssertionError):
    pass


class DagsterApi:
    """GraphQL calls against one webserver, for the `coinwatch` code location."""

    def __init__(self, port: int, location: str, timeout: float = 30.0) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.location = location
        self.http = httpx.Client(timeout=timeout)
        self.client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=int(timeout))

    def close(self) -> None:
        self.http.close()

    @property
    def repo(self) -> dict[str, str]:
        return {"repositoryLocationName": self.location, "repositoryName": REPOSITORY}

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post(self.url, json={"query": text, "variables": variables})
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    # --- readiness ------------------------------------------------------------------------

    def location_loaded(self) -> bool:
        data = self.query(
            """{ workspaceOrError { ... on Workspace { locationEntries {
                 name loadStatus
                 locationOrLoadError { __typename ... on PythonError { message } }
            } } } }"""
        )
        for entry in data["workspaceOrError"]["locationEntries"]:
            if entry["name"] == self.location and entry["loadStatus"] == "LOADED":
                error = entry["locationOrLoadError"]
                if error and error["__typename"] == "PythonError":
                    raise GraphQLError(f"code location failed to load: {error['message']}")
                return error is not None
        return False

    def daemons_healthy(self, required: set[str]) -> bool:
        data = self.query(
            "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"
        )
        statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
        healthy = {s["daemonType"] for s in statuses if s["healthy"]}
        return required <= healthy

    # --- launching ------------------------------------------------------------------------

    def materialize(self, *assets: str) -> str:
        """One run of the implicit asset job for `assets` (the UI's "Materialize")."""
        return self.client.submit_job_execution(
            "__ASSET_JOB",
            repository_location_name=self.location,
            repository_name=REPOSITORY,
            run_config={},
            asset_selection=[[a] for a in assets],
        )

    def add_dynamic_partition(self, partitions_def: str, key: str) -> None:
        data = self.query(
            """mutation Add($repo: RepositorySelector!, $def: String!, $key: String!) {
                 addDynamicPartition(repositorySelector: $repo, partitionsDefName: $def,
                                     partitionKey: $key) {
                   __typename ... on PythonError { message }
                   ... on UnauthorizedError { message }
                 } }""",
            repo=self.repo,
            key=key,
            **{"def": partitions_def},
        )
        kind = data["addDynamicPartition"]["__typename"]
        if kind != "AddDynamicPartitionSuccess":
            raise GraphQLError(f"addDynamicPartition {key}: {data['addDynamicPartition']}")

    def launch_backfill(self, asset: str, partitions: list[str]) -> str:
        data = self.query(
            """mutation Backfill($params: LaunchBackfillParams!) {
                 launchPartitionBackfill(backfillParams: $params) {
                   __typename
                   ... on LaunchBackfillSuccess { backfillId }
                   ... on PythonError { message }
                   ... on InvalidSubsetError { message }
                 } }""",
            params={"assetSelection": [{"path": [asset]}], "partitionNames": partitions},
        )
        result = data["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise GraphQLError(f"launchPartitionBackfill: {result}")
        return result["backfillId"]

    def backfill_status(self, backfill_id: str) -> str:
        data = self.query(
            """query B($id: String!) { partitionBackfillOrError(backfillId: $id) {
                 ... on PartitionBackfill { status } ... on PythonError { message } } }""",
            id=backfill_id,
        )
        return data["partitionBackfillOrError"]["status"]

    def start_sensor(self, name: str) -> None:
        data = self.query(
            """mutation S($sel: SensorSelector!) { startSensor(sensorSelector: $sel) {
                 __typename ... on Sensor { sensorState { status } }
                 ... on PythonError { message } } }""",
            sel={**self.repo, "sensorName": name},
        )
        if data["startSensor"]["__typename"] != "Sensor":
            raise GraphQLError(f"startSensor {name}: {data['startSensor']}")

    def start_schedule(self, name: str) -> None:
        data = self.query(
            """mutation S($sel: ScheduleSelector!) { startSchedule(scheduleSelector: $sel) {
                 __typename ... on ScheduleStateResult { scheduleState { status } }
                 ... on PythonError { message } } }""",
            sel={**self.repo, "scheduleName": name},
        )
        if data["startSchedule"]["__typename"] != "ScheduleStateResult":
            raise GraphQLError(f"startSchedule {name}: {data['startSchedule']}")

    def stop_schedule(self, name: str) -> None:
        state = self.query(
            """query S($sel: ScheduleSelector!) { scheduleOrError(scheduleSelector: $sel) {
                 ... on Schedule { scheduleState { id } } } }""",
            sel={**self.repo, "scheduleName": name},
        )["scheduleOrError"]["scheduleState"]["id"]
        data = self.query(
            """mutation M($id: String) { stopRunningSchedule(id: $id) {
                 __typename ... on ScheduleStateResult { scheduleState { status } }
                 ... on PythonError { message } } }""",
            id=state,
        )
        if data["stopRunningSchedule"]["__typename"] != "ScheduleStateResult":
            raise GraphQLError(f"stopRunningSchedule {name}: {data['stopRunningSchedule']}")

    # --- reading --------------------------------------------------------------------------

    def sensor(self, name: str) -> dict[str, Any]:
        data = self.query(
            f"""query S($sel: SensorSelector!) {{ sensorOrError(sensorSelector: $sel) {{
                 __typename ... on Sensor {{ sensorState {{ status {_INSTIGATION_TICKS} }} }}
                 ... on PythonError {{ message }} }} }}""",
            sel={**self.repo, "sensorName": name},
        )
        return data["sensorOrError"]["sensorState"]

    def schedule(self, name: str) -> dict[str, Any]:
        data = self.query(
            f"""query S($sel: ScheduleSelector!) {{ scheduleOrError(scheduleSelector: $sel) {{
                 __typename ... on Schedule {{ scheduleState {{ status {_INSTIGATION_TICKS} }} }}
                 ... on PythonError {{ message }} }} }}""",
            sel={**self.repo, "scheduleName": name},
        )
        return data["scheduleOrError"]["scheduleState"]

    def runs(self, **run_filter: Any) -> list[dict[str, Any]]:
        data = self.query(RUNS, filter=run_filter or None)
        result = data["runsOrError"]
        if result["__typename"] != "Runs":
            raise GraphQLError(f"runsOrError: {result}")
        return result["results"]

    def run_status(self, run_id: str) -> str:
        return self.client.get_run_status(run_id).value

    def run_event_types(self, run_id: str) -> list[str]:
        data = self.query(
            """query L($id: ID!) { logsForRun(runId: $id, limit: 1000) {
                 ... on EventConnection { events { __typename } } } }""",
            id=run_id,
        )
        return [e["__typename"] for e in data["logsForRun"]["events"]]
