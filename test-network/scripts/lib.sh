# shellcheck shell=bash
# Shared helpers of network.sh: layout, ports, node environments, process
# management and the configuration files the network is generated from.
# Sourced, not run.

# ---------------------------------------------------------------- layout

TN="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" # test-network/
REPO="$(cd "$TN/.." && pwd)"
RUN="$(realpath -m "${AEO_FABRIC_RUN:-$TN/.run}")" # runtime folder: pids, logs, crypto, ledgers
BIN="$TN/.build/bin"
BUILDER="$TN/builder"              # external builder (bin/detect, build, release)
CHANNEL=aeo
CC_NAME=aeoledger
CC_LABEL=aeoledger
FABRIC_MODULE=github.com/hyperledger/fabric

ORGS=(exporter carrier customs)
declare -A ORG_MSP=([exporter]=ExporterMSP [carrier]=CarrierMSP [customs]=CustomsMSP)
declare -A ORG_NAME=([exporter]=Exporter [carrier]=Carrier [customs]=Customs)
declare -A ORG_INDEX=([exporter]=1 [carrier]=2 [customs]=3)
DOMAIN=aeo.test
ORDERER_DOMAIN="orderer.$DOMAIN"

# ---------------------------------------------------------------- output

# say prints a progress line with the seconds since the script started.
say() { printf '[%5.1fs] %s\n' "$(awk -v a="$T_START" -v b="$(date +%s%3N)" 'BEGIN { print (b - a) / 1000 }')" "$*" >&2; }
T_START=$(date +%s%3N)
die() {
	printf 'network.sh: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- ports
# Everything listens on 127.0.0.1. Ports derive from one base
# (AEO_FABRIC_PORT_BASE, default 27000) so that the network never collides
# with the embedded peer's defaults (7050/7051) or with another copy.

port_base() { echo "${PORT_BASE:-${AEO_FABRIC_PORT_BASE:-27000}}"; }
orderer_port() { echo $(($(port_base) + 50 + $1 * 10)); }
orderer_admin_port() { echo $(($(port_base) + 51 + $1 * 10)); }
orderer_ops_port() { echo $(($(port_base) + 52 + $1 * 10)); }
peer_port() { echo $(($(port_base) + ORG_INDEX[$1] * 100 + 51)); }
peer_cc_port() { echo $(($(port_base) + ORG_INDEX[$1] * 100 + 52)); }
peer_ops_port() { echo $(($(port_base) + ORG_INDEX[$1] * 100 + 53)); }
ccserver_port() { echo $(($(port_base) + 900)); }

orderer_count() { if [[ "${CONSENSUS:-raft}" == bft ]]; then echo 4; else echo 1; fi; }

# all_ports lists every port the network will listen on.
all_ports() {
	local n org
	for ((n = 0; n < $(orderer_count); n++)); do
		orderer_port "$n"
		orderer_admin_port "$n"
		orderer_ops_port "$n"
	done
	for org in "${ORGS[@]}"; do
		peer_port "$org"
		peer_cc_port "$org"
		peer_ops_port "$org"
	done
	ccserver_port
}

# port_in_use succeeds when something accepts connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- names and paths

orderer_host() { echo "orderer$1.$ORDERER_DOMAIN"; }
orderer_dir() { echo "$RUN/crypto/ordererOrganizations/$ORDERER_DOMAIN/orderers/$(orderer_host "$1")"; }
orderer_tlsca() { echo "$RUN/crypto/ordererOrganizations/$ORDERER_DOMAIN/tlsca/tlsca.$ORDERER_DOMAIN-cert.pem"; }
orderer_admin_dir() { echo "$RUN/crypto/ordererOrganizations/$ORDERER_DOMAIN/users/Admin@$ORDERER_DOMAIN"; }
org_domain() { echo "$1.$DOMAIN"; }
org_dir() { echo "$RUN/crypto/peerOrganizations/$(org_domain "$1")"; }
peer_host() { echo "peer0.$(org_domain "$1")"; }
peer_dir() { echo "$(org_dir "$1")/peers/$(peer_host "$1")"; }
peer_tlsca() { echo "$(org_dir "$1")/tlsca/tlsca.$(org_domain "$1")-cert.pem"; }
org_user_dir() { echo "$(org_dir "$1")/users/$2@$(org_domain "$1")"; }

# ---------------------------------------------------------------- fabric config

# fabric_version prints the Fabric pseudo-version pinned in tools/go.mod.
fabric_version() {
	awk -v m="$FABRIC_MODULE" '($1 == m) { print $2 } ($1 == "require" && $2 == m) { print $3 }' "$TN/tools/go.mod" | head -n1
}

# sampleconfig prints Fabric's unmodified sampleconfig folder in the module
# cache (FABRIC_CFG_PATH for every node; all differences are env overrides).
sampleconfig() {
	local v dir
	v="$(fabric_version)"
	[[ -n "$v" ]] || die "cannot read the Fabric version from $TN/tools/go.mod"
	dir="$(go env GOMODCACHE)/$FABRIC_MODULE@$v/sampleconfig"
	if [[ ! -f "$dir/core.yaml" ]]; then
		(cd "$TN/tools" && GOFLAGS=-mod=mod go mod download "$FABRIC_MODULE") ||
			die "downloading $FABRIC_MODULE@$v for its sampleconfig failed"
	fi
	[[ -f "$dir/core.yaml" ]] || die "Fabric's sampleconfig is missing at $dir"
	echo "$dir"
}

# ---------------------------------------------------------------- node environments
# Each node runs under `env -i` with exactly these variables, so nothing
# from the caller's environment (CORE_*, ORDERER_*) leaks in.

# node_gomaxprocs prints the GOMAXPROCS every node runs with: the machine's
# CPUs shared out evenly over the nodes (peers, orderers, chaincode server),
# at least 1, as a container with that CPU limit would set it. Without it
# each of the five or eight Go runtimes on a small machine keeps as many
# threads busy as there are CPUs, and handing work between them costs more
# CPU than it saves (see README.md, Settings that matter).
# AEO_FABRIC_GOMAXPROCS overrides it: a number, or "go" for Go's default.
node_gomaxprocs() {
	local want=${AEO_FABRIC_GOMAXPROCS:-}
	if [[ -n "$want" ]]; then
		[[ "$want" == go || "$want" =~ ^[1-9][0-9]*$ ]] ||
			die "AEO_FABRIC_GOMAXPROCS=$want: must be a number of at least 1, or go"
		echo "$want"
		return
	fi
	local nodes=$((${#ORGS[@]} + $(orderer_count) + 1)) cpus
	cpus="$(nproc 2>/dev/null || echo 1)"
	echo $((cpus / nodes > 1 ? cpus / nodes : 1))
}

base_env() {
	echo "PATH=$PATH"
	echo "HOME=${HOME:-/tmp}"
	echo "TMPDIR=${TMPDIR:-/tmp}"
	echo "FABRIC_CFG_PATH=$CFG"
	local procs=${NODE_GOMAXPROCS:-$(node_gomaxprocs)}
	[[ "$procs" == go ]] || echo "GOMAXPROCS=$procs"
	# INFO, without a line for every gRPC call and connection.
	echo "FABRIC_LOGGING_SPEC=${AEO_FABRIC_LOGGING:-info:grpc=warn:comm.grpc.server=warn}"
}

orderer_env() {
	local n=$1 dir data
	dir="$(orderer_dir "$n")"
	data="$RUN/data/$(orderer_host "$n")"
	base_env
	cat <<EOF
ORDERER_GENERAL_LISTENADDRESS=127.0.0.1
ORDERER_GENERAL_LISTENPORT=$(orderer_port "$n")
ORDERER_GENERAL_LOCALMSPID=OrdererMSP
ORDERER_GENERAL_LOCALMSPDIR=$dir/msp
ORDERER_GENERAL_BOOTSTRAPMETHOD=none
ORDERER_GENERAL_TLS_ENABLED=true
ORDERER_GENERAL_TLS_PRIVATEKEY=$dir/tls/server.key
ORDERER_GENERAL_TLS_CERTIFICATE=$dir/tls/server.crt
ORDERER_GENERAL_TLS_ROOTCAS=[$dir/tls/ca.crt]
ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=$dir/tls/server.crt
ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=$dir/tls/server.key
ORDERER_FILELEDGER_LOCATION=$data/ledger
ORDERER_CONSENSUS_WALDIR=$data/etcdraft/wal
ORDERER_CONSENSUS_SNAPDIR=$data/etcdraft/snapshot
ORDERER_CHANNELPARTICIPATION_ENABLED=true
ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:$(orderer_admin_port "$n")
ORDERER_ADMIN_TLS_ENABLED=true
ORDERER_ADMIN_TLS_CERTIFICATE=$dir/tls/server.crt
ORDERER_ADMIN_TLS_PRIVATEKEY=$dir/tls/server.key
ORDERER_ADMIN_TLS_ROOTCAS=[$dir/tls/ca.crt]
ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
ORDERER_ADMIN_TLS_CLIENTROOTCAS=[$(orderer_tlsca)]
ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:$(orderer_ops_port "$n")
ORDERER_METRICS_PROVIDER=disabled
EOF
}

peer_env() {
	local org=$1 dir data addr
	dir="$(peer_dir "$org")"
	data="$RUN/data/$(peer_host "$org")"
	addr="127.0.0.1:$(peer_port "$org")"
	base_env
	# Gossip intervals: right after the channel join the first cross-org
	# gossip connection fails; by default it is retried only after 25 s and
	# the gateway cannot find endorsers until then (FABRIC-NOTES.md).
	cat <<EOF
CORE_PEER_ID=$(peer_host "$org")
CORE_PEER_NETWORKID=aeoledger
CORE_PEER_LISTENADDRESS=$addr
CORE_PEER_ADDRESS=$addr
CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:$(peer_cc_port "$org")
CORE_PEER_CHAINCODEADDRESS=127.0.0.1:$(peer_cc_port "$org")
CORE_PEER_LOCALMSPID=${ORG_MSP[$org]}
CORE_PEER_MSPCONFIGPATH=$dir/msp
CORE_PEER_TLS_ENABLED=true
CORE_PEER_TLS_CERT_FILE=$dir/tls/server.crt
CORE_PEER_TLS_KEY_FILE=$dir/tls/server.key
CORE_PEER_TLS_ROOTCERT_FILE=$dir/tls/ca.crt
CORE_PEER_GOSSIP_BOOTSTRAP=$addr
CORE_PEER_GOSSIP_ENDPOINT=$addr
CORE_PEER_GOSSIP_EXTERNALENDPOINT=$addr
CORE_PEER_GOSSIP_RECONNECTINTERVAL=1s
CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s
CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s
CORE_PEER_FILESYSTEMPATH=$data
CORE_LEDGER_SNAPSHOTS_ROOTDIR=$data/snapshots
CORE_LEDGER_STATE_STATEDATABASE=goleveldb
CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:$(peer_ops_port "$org")
CORE_METRICS_PROVIDER=prometheus
CORE_VM_ENDPOINT=
CORE_CHAINCODE_EXTERNALBUILDERS=[{name: aeoledger-ccaas, path: $BUILDER}]
EOF
}

# cli_env is the environment of the peer CLI acting as $org's admin against
# $org's peer.
cli_env() {
	local org=$1
	base_env
	cat <<EOF
CORE_PEER_LOCALMSPID=${ORG_MSP[$org]}
CORE_PEER_MSPCONFIGPATH=$(org_user_dir "$org" Admin)/msp
CORE_PEER_ADDRESS=127.0.0.1:$(peer_port "$org")
CORE_PEER_TLS_ENABLED=true
CORE_PEER_TLS_ROOTCERT_FILE=$(peer_tlsca "$org")
CORE_PEER_CLIENT_CONNTIMEOUT=10s
CORE_VM_ENDPOINT=
EOF
}

# with_env FUNC ARGS -- CMD...: runs CMD under env -i with FUNC's variables.
with_env() {
	local fn=$1
	shift
	local args=()
	while [[ $# -gt 0 && "$1" != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	local vars=()
	mapfile -t vars < <("$fn" "${args[@]}")
	env -i "${vars[@]}" "$@"
}

# peer_cli ORG ARGS...: runs the peer CLI as ORG's admin.
peer_cli() {
	local org=$1
	shift
	with_env cli_env "$org" -- "$BIN/peer" "$@"
}

# ---------------------------------------------------------------- processes
# Every process started gets RUN/pids/NAME.pid and RUN/logs/NAME.log.

# start_process NAME ENVFUNC ENVARG -- CMD...: starts CMD detached (own
# session, stdin from /dev/null) and records its PID.
start_process() {
	local name=$1 fn=$2 arg=$3
	shift 4
	mkdir -p "$RUN/pids" "$RUN/logs"
	local vars=()
	mapfile -t vars < <("$fn" "$arg")
	setsid env -i "${vars[@]}" "$@" </dev/null >>"$RUN/logs/$name.log" 2>&1 &
	echo $! >"$RUN/pids/$name.pid"
}

# pid_of NAME prints the PID of NAME if that process is still ours and alive.
pid_of() {
	local f="$RUN/pids/$1.pid" pid
	[[ -f "$f" ]] || return 1
	pid="$(cat "$f")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a recycled PID: the command line must be one we started.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq "($BIN|$TN)/" || return 1
	echo "$pid"
}

# stop_process NAME: SIGTERM, then SIGKILL after 10 s; removes the pid file.
stop_process() {
	local name=$1 pid i
	if pid="$(pid_of "$name")"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "  $name (pid $pid) ignored SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$RUN/pids/$name.pid"
}

# stop_all stops every process that has a pid file, chaincode server first.
stop_all() {
	local f name
	[[ -d "$RUN/pids" ]] || return 0
	stop_process ccserver
	for f in "$RUN"/pids/*.pid; do
		[[ -e "$f" ]] || continue
		name="$(basename "$f" .pid)"
		stop_process "$name" &
	done
	wait
}

# running_names lists the names of processes that are alive.
running_names() {
	local f name
	for f in "$RUN"/pids/*.pid; do
		[[ -e "$f" ]] || continue
		name="$(basename "$f" .pid)"
		pid_of "$name" >/dev/null && echo "$name"
	done
	return 0
}

# wait_http NAME URL SECONDS: waits until URL answers 200 while NAME lives.
wait_http() {
	local name=$1 url=$2 secs=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! pid_of "$name" >/dev/null; then
			say "$name exited during startup; last lines of $RUN/logs/$name.log:"
			tail -n 15 "$RUN/logs/$name.log" >&2 || true
			return 1
		fi
		if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	say "$name did not become healthy at $url within $secs s; see $RUN/logs/$name.log"
	return 1
}

# ---------------------------------------------------------------- generated configuration

# write_crypto_config writes RUN/config/crypto-config.yaml for cryptogen:
# node OUs on, and every TLS certificate also valid for localhost and
# 127.0.0.1 so all endpoints can be plain 127.0.0.1 addresses.
write_crypto_config() {
	local f="$RUN/config/crypto-config.yaml" n org
	mkdir -p "$RUN/config"
	{
		echo "# Generated by test-network/network.sh; input of cryptogen."
		echo "OrdererOrgs:"
		echo "  - Name: Orderer"
		echo "    Domain: $ORDERER_DOMAIN"
		echo "    EnableNodeOUs: true"
		echo "    Specs:"
		for ((n = 0; n < $(orderer_count); n++)); do
			echo "      - Hostname: orderer$n"
			echo "        SANS: [localhost, 127.0.0.1]"
		done
		echo "PeerOrgs:"
		for org in "${ORGS[@]}"; do
			echo "  - Name: ${ORG_NAME[$org]}"
			echo "    Domain: $(org_domain "$org")"
			echo "    EnableNodeOUs: true"
			echo "    Specs:"
			echo "      - Hostname: peer0"
			echo "        SANS: [localhost, 127.0.0.1]"
			echo "    Users:"
			echo "      Count: 1"
		done
	} >"$f"
}

# org_policies MSPID prints the Readers/Writers/Admins/Endorsement policies
# of a peer organisation (indented for configtx.yaml).
org_policies() {
	local m=$1
	cat <<EOF
    Policies:
      Readers: {Type: Signature, Rule: "OR('$m.admin', '$m.peer', '$m.client')"}
      Writers: {Type: Signature, Rule: "OR('$m.admin', '$m.client')"}
      Admins: {Type: Signature, Rule: "OR('$m.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('$m.peer')"}
EOF
}

# write_configtx writes RUN/config/configtx.yaml with one profile, AeoChannel:
# the orderer org, the three peer orgs with their anchor peers (so no config
# update is needed after the channel is created), Raft with one orderer or
# SmartBFT with four, and the channel-wide MAJORITY endorsement policies.
write_configtx() {
	local f="$RUN/config/configtx.yaml" n org dir oc
	oc=$(orderer_count)
	mkdir -p "$RUN/config"
	{
		cat <<EOF
# Generated by test-network/network.sh; input of configtxgen.
Organizations:
  - &OrdererOrg
    Name: OrdererMSP
    ID: OrdererMSP
    MSPDir: $RUN/crypto/ordererOrganizations/$ORDERER_DOMAIN/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Writers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Admins: {Type: Signature, Rule: "OR('OrdererMSP.admin')"}
    OrdererEndpoints:
EOF
		for ((n = 0; n < oc; n++)); do
			echo "      - 127.0.0.1:$(orderer_port "$n")"
		done
		for org in "${ORGS[@]}"; do
			echo "  - &${ORG_NAME[$org]}"
			echo "    Name: ${ORG_MSP[$org]}"
			echo "    ID: ${ORG_MSP[$org]}"
			echo "    MSPDir: $(org_dir "$org")/msp"
			org_policies "${ORG_MSP[$org]}"
			echo "    AnchorPeers:"
			echo "      - {Host: 127.0.0.1, Port: $(peer_port "$org")}"
		done
		cat <<EOF

Capabilities:
  Channel: &ChannelCapabilities
    V3_0: true
  Orderer: &OrdererCapabilities
    V2_0: true
  Application: &ApplicationCapabilities
    V2_5: true

Application: &ApplicationDefaults
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
    Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
  Capabilities: *ApplicationCapabilities

Orderer: &OrdererDefaults
EOF
		if [[ "${CONSENSUS:-raft}" == bft ]]; then
			echo "  OrdererType: BFT"
			echo "  ConsenterMapping:"
			for ((n = 0; n < oc; n++)); do
				dir="$(orderer_dir "$n")"
				echo "    - ID: $((n + 1))"
				echo "      Host: 127.0.0.1"
				echo "      Port: $(orderer_port "$n")"
				echo "      MSPID: OrdererMSP"
				echo "      ClientTLSCert: $dir/tls/server.crt"
				echo "      ServerTLSCert: $dir/tls/server.crt"
				echo "      Identity: $dir/msp/signcerts/$(orderer_host "$n")-cert.pem"
			done
			cat <<EOF
  SmartBFT:
    RequestBatchMaxCount: 500
    RequestBatchMaxInterval: 20ms
    RequestForwardTimeout: 2s
    RequestComplainTimeout: 20s
    RequestAutoRemoveTimeout: 3m0s
    ViewChangeResendInterval: 5s
    ViewChangeTimeout: 20s
    LeaderHeartbeatTimeout: 10s
    LeaderHeartbeatCount: 10
    CollectTimeout: 1s
    IncomingMessageBufferSize: 200
    RequestPoolSize: 100000
EOF
		else
			echo "  OrdererType: etcdraft"
			echo "  EtcdRaft:"
			echo "    Consenters:"
			for ((n = 0; n < oc; n++)); do
				dir="$(orderer_dir "$n")"
				echo "      - Host: 127.0.0.1"
				echo "        Port: $(orderer_port "$n")"
				echo "        ClientTLSCert: $dir/tls/server.crt"
				echo "        ServerTLSCert: $dir/tls/server.crt"
			done
			cat <<EOF
    Options:
      TickInterval: 100ms
      ElectionTick: 10
      HeartbeatTick: 1
      MaxInflightBlocks: 5
      SnapshotIntervalSize: 16 MB
EOF
		fi
		cat <<EOF
  # BatchTimeout trades a single client's latency for block size. Clients
  # that wait for their commit never fill a block by count, so under load the
  # timeout alone sets the block size: at 10ms 16 such clients made blocks of
  # 2-4 transactions and per-block work (signing, verifying, fsync on every
  # node) weighed heavily; at 50ms blocks held 9-16 (test-network/README.md).
  BatchTimeout: ${AEO_FABRIC_BATCH_TIMEOUT:-50ms}
  BatchSize:
    MaxMessageCount: 500
    AbsoluteMaxBytes: 10 MB
    PreferredMaxBytes: 2 MB
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
  Capabilities: *OrdererCapabilities

Channel: &ChannelDefaults
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
  Capabilities: *ChannelCapabilities

Profiles:
  AeoChannel:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations:
        - *OrdererOrg
    Application:
      <<: *ApplicationDefaults
      Organizations:
        - *Exporter
        - *Carrier
        - *Customs
EOF
	} >"$f"
}

# write_profile writes RUN/connection.yaml, the aeoledger connection profile
# (format: network/profile). Paths are relative to RUN. The gateway is the
# Exporter's peer; every org gets its admin and user1 identities.
write_profile() {
	local f="$RUN/connection.yaml" org n rel
	rel() { echo "${1#"$RUN"/}"; }
	{
		echo "# Generated by test-network/network.sh up; read by package network/profile."
		echo "name: aeoledger-fabric-test-network"
		echo "channel: $CHANNEL"
		echo "chaincode: $CC_NAME"
		echo "gateway:"
		echo "  address: 127.0.0.1:$(peer_port exporter)"
		echo "  tlsCACert: $(rel "$(peer_tlsca exporter)")"
		echo "  serverName: $(peer_host exporter)"
		echo "orgs:"
		for org in "${ORGS[@]}"; do
			echo "  ${ORG_MSP[$org]}:"
			echo "    msp: $(rel "$(org_dir "$org")/msp")"
			echo "    identities:"
			for n in Admin User1; do
				local u
				u="$(org_user_dir "$org" "$n")"
				echo "      ${n,,}:"
				echo "        cert: $(rel "$u/msp/signcerts/$n@$(org_domain "$org")-cert.pem")"
				echo "        key: $(rel "$u/msp/keystore/priv_sk")"
			done
		done
		echo "orderers:"
		for ((n = 0; n < $(orderer_count); n++)); do
			echo "  - mspID: OrdererMSP"
			echo "    address: 127.0.0.1:$(orderer_port "$n")"
			echo "    tlsCACert: $(rel "$(orderer_tlsca)")"
			echo "    serverName: $(orderer_host "$n")"
			echo "    msp: $(rel "$RUN/crypto/ordererOrganizations/$ORDERER_DOMAIN/msp")"
		done
		echo "peers:"
		for org in "${ORGS[@]}"; do
			echo "  - mspID: ${ORG_MSP[$org]}"
			echo "    address: 127.0.0.1:$(peer_port "$org")"
			echo "    tlsCACert: $(rel "$(peer_tlsca "$org")")"
			echo "    serverName: $(peer_host "$org")"
			echo "    msp: $(rel "$(org_dir "$org")/msp")"
		done
	} >"$f"
}
