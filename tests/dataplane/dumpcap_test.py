#!/usr/bin/env python3
"""dpdk-dumpcap captures from a running causewayd (rte_pdump): causewayd with its dataplane on a veth
(net_af_packet), hugepages and shared config (dumpcap is a secondary process), a peer namespace
sending ARP requests for the gateway's address; dumpcap must write a pcapng file whose packets
include those ARP frames. Root only (namespaces, hugepages): exit 77 otherwise, or without
dpdk-dumpcap. Cleans up namespaces, processes and hugepages, also on failure.

usage: dumpcap_test.py CAUSEWAYD
"""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
TAG = "cwdc%d" % (os.getpid() % 100000)


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def pcapng_packets(path):
    """The packet data of every Enhanced Packet Block (type 6) of a pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    packets, off = [], 0
    while off + 12 <= len(data):
        block_type, length = struct.unpack_from("<II", data, off)
        if length < 12 or off + length > len(data):
            break
        if block_type == 6:
            captured = struct.unpack_from("<I", data, off + 20)[0]
            packets.append(data[off + 28:off + 28 + captured])
        off += length
    return packets


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return SKIP
    dumpcap = shutil.which("dpdk-dumpcap")
    if dumpcap is None:
        print("SKIP: dpdk-dumpcap missing (Debian package dpdk)")
        return SKIP
    causewayd = sys.argv[1]
    work = tempfile.mkdtemp(prefix="causeway-dumpcap-")
    with open("/proc/sys/vm/nr_hugepages") as f:
        pages_before = int(f.read())
    gw, peer = TAG + "-gw", TAG + "-peer"
    proc = None
    try:
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(pages_before + 300))
        os.makedirs("/dev/hugepages", exist_ok=True)
        if subprocess.run(["mountpoint", "-q", "/dev/hugepages"]).returncode != 0:
            sh("mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages")
        for ns in (gw, peer):
            sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", "v0", "netns", gw, "type", "veth", "peer", "name", "v1", "netns", peer)
        # IPv6 off: the only frames are the ARP requests this test makes.
        sh("sysctl", "-qw", "net.ipv6.conf.v0.disable_ipv6=1", ns=gw)
        sh("sysctl", "-qw", "net.ipv6.conf.v1.disable_ipv6=1", ns=peer)
        sh("ip", "-n", gw, "link", "set", "v0", "up")
        sh("ip", "-n", peer, "link", "set", "v1", "up")
        sh("ip", "-n", peer, "addr", "add", "10.55.0.2/24", "dev", "v1")
        config = os.path.join(work, "gw.yaml")
        with open(config, "w") as f:
            f.write("gateway: {cluster: c1, zone: z1, addresses: [10.55.0.1]}\n"
                    "clusters: [{name: c1, id: 1, region: r}]\n")
        log = open(os.path.join(work, "causewayd.log"), "w+")
        # Hugepages and shared config (no --no-huge, no --no-shconf): dumpcap attaches as a secondary.
        proc = subprocess.Popen(["ip", "netns", "exec", gw, causewayd, "--listen=unix:" + os.path.join(work, "s.sock"),
                                 "--state_dir=", "--config=" + config, "--health_checks=false", "--",
                                 "-l", "0", "-m", "512", "--no-pci", "--file-prefix=" + TAG,
                                 "--vdev=net_af_packet0,iface=v0"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            log.flush()
            if "port 0 up" in open(log.name).read():
                break
            assert proc.poll() is None, "causewayd exited:\n" + open(log.name).read()
            time.sleep(0.1)
        else:
            raise AssertionError("causewayd did not come up:\n" + open(log.name).read())
        capture = os.path.join(work, "cap.pcapng")
        cap = subprocess.Popen([dumpcap, "--file-prefix=" + TAG, "-i", "0", "-c", "3", "-w", capture],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(2)  # dumpcap attaches and enables capture
        for _ in range(40):  # ARP requests for the gateway's address (kernel neighbour probes)
            if cap.poll() is not None:
                break
            sh("ip", "-n", peer, "neigh", "flush", "dev", "v1", check=False)
            sh("python3", "-c", "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
               "s.sendto(b'x', ('10.55.0.1', 9))", ns=peer, check=False)
            time.sleep(0.25)
        try:
            out, _ = cap.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            cap.kill()
            out, _ = cap.communicate()
        print(out.strip())
        packets = pcapng_packets(capture) if os.path.exists(capture) else []
        arp = [p for p in packets if len(p) >= 14 and p[12:14] == b"\x08\x06"]
        print("captured %d packets, %d ARP (ethertypes %s)" % (len(packets), len(arp),
                                                               sorted({p[12:14].hex() for p in packets if len(p) >= 14})))
        assert cap.returncode == 0, "dpdk-dumpcap exit %s" % cap.returncode
        assert len(packets) >= 3 and arp, "no ARP frames in the capture"
        print("PASS")
        return 0
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for ns in (gw, peer):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        # EAL keeps its hugepage files after the process ends (no --huge-unlink: dumpcap maps them as
        # a secondary), and they hold the pages until removed.
        for path in glob.glob("/dev/hugepages/" + TAG + "map_*"):
            os.remove(path)
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(pages_before))
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + TAG, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
