"""A real one-node Slurm cluster for a test: munge, slurmctld and slurmd on this machine.

Debian's slurm-wlm 22.05 with a count-only GPU GRES (no GPU is needed to schedule ``--gpus=1``) and
no accounting (``sacct`` is disabled: job status comes from ``squeue``, and finished jobs stay
visible for an hour, MinJobAge). Everything lives under one temporary folder and free ports; the
configuration is found through ``SLURM_CONF``; srun inside a job ignores it (it looks in /etc/slurm,
then DNS), so the same files are also written to /etc/slurm when none is there, and removed at the
end. The daemons this starts are stopped by their pids; a munged already running is left alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

CONF = """ClusterName=altyazi-test
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldLogFile={tmp}/log/slurmctld.log
SlurmdLogFile={tmp}/log/slurmd.log
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge=3600
NodeName={host} CPUs={cpus} RealMemory={mem_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes={host} Default=YES MaxTime={max_time} State=UP
"""
DAEMONS = ("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd")


class ClusterUnavailable(RuntimeError):
    """Slurm cannot be started here; the message says why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _munge_works() -> bool:
    try:
        cred = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        return cred.returncode == 0 and subprocess.run(["unmunge"], input=cred.stdout, capture_output=True,
                                                       timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class SlurmCluster:
    """``with SlurmCluster(tmp) as c:``: ``c.env`` has SLURM_CONF for sbatch/squeue/scontrol."""

    def __init__(self, folder: Path, cpus: int | None = None, mem_mb: int = 20000, max_time: str = "INFINITE"):
        self.folder, self.host = Path(folder), socket.gethostname().split(".")[0]
        self.cpus = cpus or os.cpu_count() or 1
        self.mem_mb, self.max_time = mem_mb, max_time
        self.env = {**os.environ, "SLURM_CONF": str(self.folder / "slurm.conf")}
        self.pids: list[int] = []
        self.etc_files: list[Path] = []

    def check_can_start(self) -> None:
        missing = [d for d in DAEMONS if not os.access(d, os.X_OK)]
        if missing:
            raise ClusterUnavailable(f"{', '.join(missing)} not installed (apt-get install -y slurm-wlm munge)")
        if os.geteuid() != 0:
            raise ClusterUnavailable("starting slurmd needs root (SlurmdUser=root)")
        if not Path("/etc/munge/munge.key").is_file():
            raise ClusterUnavailable("/etc/munge/munge.key is missing (reinstall munge)")

    def __enter__(self) -> "SlurmCluster":
        self.check_can_start()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        for sub in ("state", "spool", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "slurm.conf").write_text(CONF.format(
            host=self.host, tmp=self.folder, cpus=self.cpus, mem_mb=self.mem_mb, max_time=self.max_time,
            ctld_port=_free_port(), d_port=_free_port()))
        (self.folder / "gres.conf").write_text(f"NodeName={self.host} Name=gpu Count=1 File=/dev/null\n")
        etc = Path("/etc/slurm")
        if not (etc / "slurm.conf").exists():
            etc.mkdir(exist_ok=True)
            for name in ("slurm.conf", "gres.conf"):
                shutil.copy(self.folder / name, etc / name)
                self.etc_files.append(etc / name)
        if not _munge_works():
            Path("/run/munge").mkdir(exist_ok=True)
            shutil.chown("/run/munge", "munge", "munge")
            subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True, timeout=30)
            pid_file = Path("/run/munge/munged.pid")
            if pid_file.is_file():
                self.pids.append(int(pid_file.read_text().split()[0]))
            if not self._wait(_munge_works, 10):
                raise ClusterUnavailable("munged started but `munge -n | unmunge` fails")
        for daemon, pid_name in (("/usr/sbin/slurmctld", "slurmctld.pid"), ("/usr/sbin/slurmd", "slurmd.pid")):
            proc = subprocess.run([daemon], env=self.env, capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                raise ClusterUnavailable(f"{daemon} did not start: {proc.stderr.strip()[-500:]} {self.logs()}")
            pid_file = self.folder / pid_name
            if self._wait(pid_file.is_file, 10):
                self.pids.append(int(pid_file.read_text().split()[0]))
        if not self._wait(self._node_idle, 60):
            raise ClusterUnavailable(f"the node never became idle: {self.sinfo()} {self.logs()}")

    @staticmethod
    def _wait(check, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if check():
                return True
            time.sleep(0.5)
        return False

    def run(self, *cmd: str) -> str:
        return subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, timeout=60).stdout

    def sinfo(self) -> str:
        return self.run("sinfo", "-h", "-N", "-o", "%N %t %c %m %G").strip()

    def _node_idle(self) -> bool:
        return " idle " in f" {self.sinfo()} "

    def logs(self) -> str:
        tails = []
        for name in ("slurmctld.log", "slurmd.log"):
            path = self.folder / "log" / name
            if path.is_file():
                tails.append(f"--- {name}:\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(tails)

    def stop(self) -> None:
        """Stop the daemons this cluster started, newest first, by pid; wait until they are gone."""
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(40):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.25)
        self.pids.clear()
        for path in self.etc_files:
            path.unlink(missing_ok=True)
        self.etc_files.clear()
