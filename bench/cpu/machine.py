"""Small helpers shared by the CPU peer's drivers: what machine this is, how loaded it is, medians."""
import os
import subprocess


def cpu_model():
    """lscpu's 'Model name' (falls back to /proc/cpuinfo's 'model name'), plus the core count."""
    name = None
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if name is None:
        try:
            with open("/proc/cpuinfo") as f:
                name = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
        except OSError:
            name = "?"
    return f"{name}, {os.cpu_count()} logical cores"


def loadavg():
    """The first three fields of /proc/loadavg (1, 5, 15-minute load averages) as a string."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def load1():
    """The 1-minute load average as a float (NaN when unreadable)."""
    try:
        return float(loadavg().split()[0])
    except (ValueError, IndexError):
        return float("nan")


def median(values):
    """The median (the upper one of an even count, as FastWeights.Bench's LayerTimer.Median)."""
    v = sorted(values)
    return v[len(v) // 2]
