"""The main job: the whole loop on a project, stage by stage, with one manifest."""

from themeloop.pipeline.run import STAGES, RunResult, run_project

__all__ = ["STAGES", "RunResult", "run_project"]
