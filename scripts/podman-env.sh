# Sourced by the image scripts: podman and buildah as this machine needs them.
#
# Two settings differ from the packages' defaults, both written to a project-local
# containers.conf that CONTAINERS_CONF points at (nothing under /etc is changed):
# - runtime = runc: crun's cgroup and seccomp set-up is refused by some kernels where runc works;
# - ulimits no higher than this shell's hard limits: podman running as root asks for more open
#   files than a sandboxed host may grant, and the container then fails to start. conmon caps
#   its own process limit at kernel.pid_max, so that bounds nproc too.

ensure_packages() {
    local missing=() tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "image: installing Debian's ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

ensure_packages podman buildah runc

PODMAN_NOFILE=$(ulimit -Hn)
PODMAN_NPROC=$(ulimit -Hu)
_pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$PODMAN_NPROC" = unlimited ] || [ "$PODMAN_NPROC" -gt "$_pid_max" ]; then PODMAN_NPROC=$_pid_max; fi
[ "$PODMAN_NOFILE" = unlimited ] && PODMAN_NOFILE=1048576
# For `podman build`, which ignores containers.conf's ulimits.
PODMAN_ULIMITS=(--ulimit "nofile=$PODMAN_NOFILE:$PODMAN_NOFILE" --ulimit "nproc=$PODMAN_NPROC:$PODMAN_NPROC")

_conf_dir=${PWD}/.cache/podman
mkdir -p "$_conf_dir"
cat > "$_conf_dir/containers.conf" <<CONF
# Written by scripts/podman-env.sh; see there why.
[containers]
default_ulimits = ["nofile=$PODMAN_NOFILE:$PODMAN_NOFILE", "nproc=$PODMAN_NPROC:$PODMAN_NPROC"]

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$_conf_dir/containers.conf
unset _conf_dir _pid_max
