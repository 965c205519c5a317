"""A generated banner for storm tests: townships of villages, cameras on 16-port uplinks."""

from __future__ import annotations

from alerts.topology import Topology, build_topology

BANNER = ("150402", "红山区", "150400/150402/")


def banner(townships: int, cameras_per_township: int, per_uplink: int = 16) -> Topology:
    districts = [("150400", "赤峰市", "150400/"), BANNER]
    cameras = []
    for t in range(townships):
        town = f"150402{t + 1:03d}"
        districts.append((town, f"乡镇{t + 1}", f"150400/150402/{town}/"))
        village = f"{town}001"
        districts.append((village, f"村{t + 1}", f"150400/150402/{town}/{village}/"))
        for i in range(cameras_per_township):
            uplink = f"NVR-{t}-{i // per_uplink}"
            cameras.append((f"T{t:02d}C{i:04d}", village, uplink, "public_security", []))
    return build_topology(cameras, districts, group_level=3)
