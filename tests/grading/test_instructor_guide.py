"""The instructor guide's commands, read and run as written: docs/instructors.md.

Its LMS collection (the workspace's ``nbgrader_config.py`` and the shell block around
``nbgrader zip_collect``) runs as written in a scratch HOME, on a zip with a student name that holds
``_`` and, separately, a file name no pattern reads (it must stop the collection); the LMS patterns
read the file names of their downloads. Every ``run.py grade`` command in the guide's code blocks (shell lines, line continuations, the
Kubernetes manifest's folded arguments, the Slurm script) parses with the grading command's own
parser, names a real lab, and gives a valid ``--shard``; the scheduler recipes agree with their
shard counts (an Indexed Job's ``completions``, a Slurm ``--array``). About 25 s: nothing is graded
here; tests/grading/test_grade_command.py runs the sharded grading and the merge themselves.
"""
from __future__ import annotations

import re
import shlex
import types
from pathlib import Path

import yaml

from tools.course import LABS, ROOT
from tools.grade import merge_parser, parser
from tools.shards import parse_shard

GUIDE = ROOT / "docs" / "instructors.md"
#: Values a shell or scheduler would put in place of the recipes' variables.
VARIABLES = {r"\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)": "3", r"\$\{SLURM_ARRAY_TASK_ID\}": "3", r"\$PWD": "/srv/course",
             r"<repository>": "/srv/zoom-in"}


def _blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced code block of the guide."""
    return re.findall(r"```(\w*)\n(.*?)```", GUIDE.read_text(), flags=re.S)


def _commands() -> list[list[str]]:
    """Every ``run.py grade`` command of the guide, as argv after ``grade``, variables filled in."""
    found = []
    for lang, text in _blocks():
        if lang == "yaml":
            doc = yaml.safe_load(text)
            if doc.get("kind") != "Job":
                continue
            for c in doc["spec"]["template"]["spec"]["containers"]:
                text = "\n".join(c.get("args", []))
        text = text.replace("\\\n", " ")
        for line in text.split("\n"):
            line = line.split(" #")[0]
            for pattern, value in VARIABLES.items():
                line = re.sub(pattern, value, line)
            m = re.match(r"\s*python3 (?:\S*/)?run\.py grade (.*)$", line)
            if m and not m.group(1).startswith("<"):  # not the overview diagram's "<lab> <folder>"
                found.append(shlex.split(m.group(1)))
    return found


def test_every_grading_command_in_the_guide_parses() -> None:
    commands = _commands()
    assert len(commands) >= 6, f"the guide's grading commands were not found: {commands}"
    labs = {lab.id for lab in LABS}
    for argv in commands:
        if argv[0] == "merge":
            args = merge_parser().parse_args(argv[1:])
            assert args.out and args.shards, argv
            continue
        args = parser().parse_args(argv)
        assert args.lab_id in labs, f"{args.lab_id!r} is not a lab: {argv}"
        if args.shard:
            parse_shard(args.shard)
    assert any(a[0] == "merge" for a in commands) and sum("--shard" in a for a in commands) >= 3


def test_the_scheduler_recipes_agree_with_their_shard_counts() -> None:
    yaml_blocks = [yaml.safe_load(t) for lang, t in _blocks() if lang == "yaml"]
    (job,) = [d for d in yaml_blocks if d.get("kind") == "Job"]
    assert job["apiVersion"] == "batch/v1" and job["spec"]["completionMode"] == "Indexed"
    args = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
    assert re.search(r"--shard \$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)", args).group(1) == str(job["spec"]["completions"])
    slurm = next(t for _, t in _blocks() if "#SBATCH" in t)
    first, last = re.search(r"#SBATCH --array=(\d+)-(\d+)", slurm).groups()
    assert first == "1" and re.search(r'--shard "\$\{SLURM_ARRAY_TASK_ID\}/(\d+)"', slurm).group(1) == last


def test_the_zero_to_jupyterhub_recipe_fits_together() -> None:
    """The hub's config.yaml (6.1): the exchange its users read is the volume they mount; the grading
    hook gives instructors, and only them, the claim the scheduler recipe's Job grades from."""
    yaml_blocks = [yaml.safe_load(t) for lang, t in _blocks() if lang == "yaml"]
    (hub,) = [d for d in yaml_blocks if "singleuser" in d]
    (job,) = [d for d in yaml_blocks if d.get("kind") == "Job"]
    single = hub["singleuser"]
    (nbgrader_file,) = [f for f in single["extraFiles"].values() if f["mountPath"].endswith("nbgrader_config.py")]
    assert nbgrader_file["mountPath"] == "/etc/jupyter/nbgrader_config.py"  # read by every user's server
    config = _Config()
    exec(nbgrader_file["stringData"], {"get_config": lambda: config})
    mounts = {m["mountPath"]: m["name"] for m in single["storage"]["extraVolumeMounts"]}
    assert config["Exchange"]["root"] in mounts, "the exchange the config names is not mounted"
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in single["storage"]["extraVolumes"]}
    assert set(mounts.values()) <= set(claims)

    c = _Config()
    (hook_src,) = hub["hub"]["extraConfig"].values()
    exec(hook_src, {"c": c})
    hook = c["KubeSpawner"]["pre_spawn_hook"]
    instructors = hub["hub"]["config"]["JupyterHub"]["load_groups"]["instructors"]["users"]
    job_claim = job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    job_mount = job["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"]
    for user, groups in [(instructors[0], ["instructors"]), ("student1", [])]:
        spawner = types.SimpleNamespace(volumes=[{"name": "home"}], volume_mounts=[{"name": "home"}],
                                        user=types.SimpleNamespace(name=user, groups=[
                                            types.SimpleNamespace(name=g) for g in groups]))
        hook(spawner)
        got = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in spawner.volumes}
        if groups:
            assert job_claim in got.values(), "instructors do not get the claim the Job grades"
            assert {"mountPath": job_mount, "name": "grading"} in spawner.volume_mounts
            assert spawner.cpu_limit >= 2
        else:
            assert got == {"home": None}, "a student's server would see the course root and the grades"
    text = GUIDE.read_text()
    assert "python3 /course/run.py grade lab03_high_low /data/submitted" in text
    assert job["spec"]["template"]["spec"]["containers"][0]["workingDir"] == "/course"


class _Config(dict):
    """Enough of traitlets' config object for ``c.Section.trait = value``."""

    def __getattr__(self, name: str) -> "_Config":
        return self.setdefault(name, _Config())

    def __setattr__(self, name: str, value: object) -> None:
        self[name] = value


def test_the_guide_shows_the_commands_it_promises() -> None:
    text = GUIDE.read_text()
    assert "python3 run.py grade merge" in text and "kubectl apply" in text and "sbatch" in text
    assert Path(ROOT / "tools" / "shards.py").is_file()


# ----------------------------------------------------------------------------- collecting an LMS download

NAMES = {  # LMS_REGEXPS key -> (file name in the download, the student id and the file it must give)
    "generic": [("mary_ann_lab03_high_low.ipynb", "mary_ann", "lab03_high_low.ipynb"),
                ("bob_lab00_tour.ipynb", "bob", "lab00_tour.ipynb")],
    "canvas": [("smithmaryann_12345_678901_lab03_high_low.ipynb", "12345", "lab03_high_low.ipynb"),
               ("smithmaryann_LATE_12345_678901_lab03_high_low.ipynb", "12345", "lab03_high_low.ipynb")],
    "moodle": [("Mary Ann Smith_12345_assignsubmission_file_lab03_high_low.ipynb", "12345", "lab03_high_low.ipynb"),
               ("Mary Ann Smith_12345_assignsubmission_file/lab10_universality.ipynb", "12345",
                "lab10_universality.ipynb")],
}


def test_the_lms_patterns_read_their_file_names() -> None:
    from nbgrader.plugins import FileNameCollectorPlugin

    from tools.lms import LMS_REGEXPS

    assert set(NAMES) == set(LMS_REGEXPS)
    for lms, cases in NAMES.items():
        plugin = FileNameCollectorPlugin(named_regexp=LMS_REGEXPS[lms])
        for name, student, file in cases:
            got = plugin.collect(f"/tmp/extracted/{name}")
            assert got and (got["student_id"], got["file_id"]) == (student, file), (lms, name, got)
        assert plugin.collect("/tmp/extracted/lab03_high_low.ipynb") is None, f"{lms} reads a name with no student"


def _home_for_the_guide(tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    """A HOME with ~/zoom-in (this repository), the LMS zip in ~/Downloads and the workspace's config
    exactly as the guide writes it; returns HOME and the guide's shell block."""
    import zipfile

    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    (home / "zoom-in").symlink_to(ROOT)
    with zipfile.ZipFile(home / "Downloads" / "lab00_tour-submissions.zip", "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    (config,) = [t for lang, t in _blocks() if lang == "python" and "LMS_REGEXPS" in t]
    (shell,) = [t for lang, t in _blocks() if lang == "bash" and "zip_collect" in t]
    (home / "grading").mkdir()
    (home / "grading" / "nbgrader_config.py").write_text(config)
    return home, shell


def _run_block(home: Path, shell: str) -> "subprocess.CompletedProcess[str]":
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    env.update(HOME=str(home), PATH=os.environ["PATH"])
    return subprocess.run(["bash", "-euo", "pipefail", "-c", shell], env=env, capture_output=True, text=True,
                          timeout=120)


def test_zip_collect_as_the_guide_writes_it(tmp_path: Path) -> None:
    """The guide's workspace config and commands, run as written: names with "_" stay whole, and a name
    that no pattern reads stops the collection with an error naming the file."""
    release = (ROOT / "labs" / "lab00_tour" / "lab00_tour.ipynb").read_text()
    home, shell = _home_for_the_guide(tmp_path / "good", {"mary_ann_lab00_tour.ipynb": release,
                                                          "bob_lab00_tour.ipynb": release})
    done = _run_block(home, shell)
    assert done.returncode == 0, done.stderr[-3000:]
    got = sorted(p.relative_to(home / "grading" / "submitted").as_posix()
                 for p in (home / "grading" / "submitted").rglob("*.ipynb"))
    assert got == ["bob/lab00_tour/lab00_tour.ipynb", "mary_ann/lab00_tour/lab00_tour.ipynb"], got

    home, shell = _home_for_the_guide(tmp_path / "bad", {"mary_ann_lab00_tour.ipynb": release,
                                                         "lab00_tour (1).ipynb": release})
    done = _run_block(home, shell)
    assert done.returncode != 0, "a file name with no student was skipped instead of stopping zip_collect"
    assert "lab00_tour (1).ipynb does not match named_regexp" in done.stdout + done.stderr
    assert not list((home / "grading").glob("submitted/*/*/*.ipynb")), "a partial collection was written"
