#!/usr/bin/env bash
# Native (no Docker) Hyperledger Fabric v3.1.1 network for aeoledger.
#
#   network.sh up [--bft]   build or reuse the binaries, generate crypto
#                           material, start the orderer(s) and three peers
#                           (Exporter, Carrier, Customs), create channel "aeo",
#                           write the connection profile RUN/connection.yaml
#   network.sh deploy       build cmd/aeoledger-chaincode (if changed), package it for the
#                           external builder, install/approve/commit
#                           "aeoledger" (MAJORITY endorsement), start the
#                           chaincode server
#   network.sh down         stop every process by PID, remove RUN
#   network.sh status       processes, ports, channel height, chaincode
#   network.sh logs [NAME] [-f]   show (or follow) node logs
#   network.sh start|stop NAME    start or stop one node of a running network
#                           (names: orderer0..3, peer0.exporter|carrier|customs,
#                           ccserver); used by the fault tests
#   network.sh build        only build (or reuse) the Fabric binaries and
#                           the chaincode server
#
# RUN is test-network/.run unless AEO_FABRIC_RUN says otherwise. Ports start
# at AEO_FABRIC_PORT_BASE (default 27000); see README.md.
set -Eeuo pipefail
trap 'say "network.sh: failed at line $LINENO: $BASH_COMMAND"' ERR
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scripts/lib.sh"

usage() {
	sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

now_ms() { date +%s%3N; }
elapsed() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# load_state reads the consensus type and port base the network was started with.
load_state() {
	[[ -f "$RUN/network.env" ]] || die "no network in $RUN (run: network.sh up)"
	# shellcheck disable=SC1091
	source "$RUN/network.env"
	CFG="$(sampleconfig)"
}

ensure_binaries() {
	"$TN/scripts/binaries.sh" >/dev/null || die "building the Fabric binaries failed (see the output above)"
	local p
	for p in peer orderer configtxgen cryptogen osnadmin; do
		[[ -x "$BIN/$p" ]] || die "binary $BIN/$p is missing after the build"
	done
}

# ---------------------------------------------------------------- node start/stop

orderer_name() { echo "orderer$1"; }
peer_name() { echo "peer0.$1"; }

start_orderer() {
	local n=$1 name
	name="$(orderer_name "$n")"
	mkdir -p "$RUN/data/$(orderer_host "$n")"
	start_process "$name" orderer_env "$n" -- "$BIN/orderer"
}

start_peer() {
	local org=$1 name
	name="$(peer_name "$org")"
	mkdir -p "$RUN/data/$(peer_host "$org")"
	start_process "$name" peer_env "$org" -- "$BIN/peer" node start
}

ccserver_env() {
	base_env
	echo "CHAINCODE_ID=$(cat "$RUN/chaincode/package-id")"
	echo "CHAINCODE_SERVER_ADDRESS=127.0.0.1:$(ccserver_port)"
}

start_ccserver() {
	start_process ccserver ccserver_env - -- "$BIN/aeoledger-chaincode"
}

wait_orderer() {
	wait_http "$(orderer_name "$1")" "http://127.0.0.1:$(orderer_ops_port "$1")/healthz" 30
}

wait_peer() {
	wait_http "$(peer_name "$1")" "http://127.0.0.1:$(peer_ops_port "$1")/healthz" 30
}

# wait_port NAME PORT SECONDS: waits until NAME listens on PORT.
wait_port() {
	local name=$1 port=$2 secs=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! pid_of "$name" >/dev/null; then
			say "$name exited during startup; last lines of $RUN/logs/$name.log:"
			tail -n 15 "$RUN/logs/$name.log" >&2 || true
			return 1
		fi
		port_in_use "$port" && return 0
		sleep 0.1
	done
	say "$name is not listening on 127.0.0.1:$port after $secs s; see $RUN/logs/$name.log"
	return 1
}

# ---------------------------------------------------------------- up

up_failed() {
	local rc=$?
	trap - EXIT
	if [[ $rc -ne 0 ]]; then
		say "network.sh up failed; stopping everything it started (logs stay in $RUN/logs)"
		stop_all
		rm -rf "$RUN/data" "$RUN/pids"
	fi
	exit "$rc"
}

cmd_up() {
	local t0 n org p busy=() out
	t0=$(now_ms)
	if [[ -d "$RUN/pids" ]] && [[ -n "$(running_names)" ]]; then
		die "a network is already running from $RUN ($(running_names | tr '\n' ' ')); run: network.sh down"
	fi
	ensure_binaries
	CFG="$(sampleconfig)"
	for p in $(all_ports); do
		port_in_use "$p" && busy+=("$p")
	done
	if [[ ${#busy[@]} -gt 0 ]]; then
		die "port(s) ${busy[*]} on 127.0.0.1 already in use; stop what listens there or set AEO_FABRIC_PORT_BASE (now $(port_base)). Nothing was started."
	fi

	local procs
	procs="$(node_gomaxprocs)" || exit 1

	rm -rf "$RUN"
	mkdir -p "$RUN"/{config,channel,logs,pids,data}
	printf 'CONSENSUS=%s\nPORT_BASE=%s\nNODE_GOMAXPROCS=%s\n' "${CONSENSUS:-raft}" "$(port_base)" "$procs" >"$RUN/network.env"
	trap up_failed EXIT

	say "generating crypto material and the channel genesis block ($(orderer_count) orderer(s), ${CONSENSUS:-raft})"
	write_crypto_config
	out="$("$BIN/cryptogen" generate --config "$RUN/config/crypto-config.yaml" --output "$RUN/crypto" 2>&1)" ||
		die "cryptogen failed: $out"
	write_configtx
	out="$(FABRIC_CFG_PATH="$RUN/config" "$BIN/configtxgen" -configPath "$RUN/config" -profile AeoChannel \
		-channelID "$CHANNEL" -outputBlock "$RUN/channel/$CHANNEL.block" 2>&1)" ||
		die "configtxgen failed: $out"

	say "starting orderer(s) and peers"
	for ((n = 0; n < $(orderer_count); n++)); do
		start_orderer "$n"
	done
	for org in "${ORGS[@]}"; do
		start_peer "$org"
	done
	for ((n = 0; n < $(orderer_count); n++)); do
		wait_orderer "$n" || die "orderer$n did not start"
	done
	for org in "${ORGS[@]}"; do
		wait_peer "$org" || die "$(peer_name "$org") did not start"
	done

	# Orderers and peers join at the same time: a peer only needs the
	# genesis block to join and keeps retrying the orderer for new blocks.
	say "joining the orderer(s) and peers to channel $CHANNEL"
	local pids=() failed=0
	for ((n = 0; n < $(orderer_count); n++)); do
		join_orderer "$n" &
		pids+=($!)
	done
	for org in "${ORGS[@]}"; do
		join_peer "$org" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || failed=1
	done
	[[ $failed == 0 ]] || die "joining channel $CHANNEL failed (see above)"

	write_profile
	trap - EXIT
	say "network up in $(elapsed "$t0") s; connection profile: $RUN/connection.yaml"
}

# join_orderer N joins orderer N through its channel participation API.
join_orderer() {
	local n=$1 out tls
	tls="$(orderer_admin_dir)/tls"
	if ! out="$("$BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$RUN/channel/$CHANNEL.block" \
		-o "127.0.0.1:$(orderer_admin_port "$n")" --ca-file "$(orderer_tlsca)" \
		--client-cert "$tls/client.crt" --client-key "$tls/client.key" 2>&1)" || ! grep -q 'Status: 201' <<<"$out"; then
		say "joining orderer$n to channel $CHANNEL failed: $out"
		return 1
	fi
}

# join_peer ORG joins ORG's peer to the channel, retrying while the orderer
# is still electing a leader (the join itself only needs the genesis block).
join_peer() {
	local org=$1 out i
	for ((i = 0; i < 20; i++)); do
		if out="$(peer_cli "$org" channel join -b "$RUN/channel/$CHANNEL.block" 2>&1)"; then
			return 0
		fi
		grep -q "already exists" <<<"$out" && return 0
		sleep 0.5
	done
	say "joining $(peer_name "$org") to channel $CHANNEL failed: $out"
	return 1
}

# ---------------------------------------------------------------- deploy

# tar_deterministic OUT DIR: gzip'd tar of DIR's files with sorted names,
# fixed owner and mtime, and no gzip timestamp, so that the same inputs give
# the same bytes and therefore the same package ID.
tar_deterministic() {
	local out=$1 dir=$2
	(cd "$dir" && tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner \
		--mode='u+rw,go+r,go-w' -cf - -- *) | gzip -n -9 >"$out"
}

# make_package writes RUN/chaincode/aeoledger.tar.gz: metadata.json (type
# ccaas, for builder/bin/detect) and code.tar.gz holding connection.json.
make_package() {
	local dir="$RUN/chaincode" tls=false
	rm -rf "$dir/src" "$dir/pkg"
	mkdir -p "$dir/src" "$dir/pkg"
	# The chaincode server runs without TLS here: it listens only on
	# 127.0.0.1. cmd/aeoledger-chaincode/README.md says how to turn TLS on.
	cat >"$dir/src/connection.json" <<EOF
{"address": "127.0.0.1:$(ccserver_port)", "dial_timeout": "10s", "tls_required": $tls}
EOF
	tar_deterministic "$dir/pkg/code.tar.gz" "$dir/src"
	printf '{"type": "ccaas", "label": "%s"}\n' "$CC_LABEL" >"$dir/pkg/metadata.json"
	tar_deterministic "$dir/$CC_NAME.tar.gz" "$dir/pkg"
}

# build_ccserver builds cmd/aeoledger-chaincode into BIN unless the binary
# is newer than every file of the repository packages it is made of.
build_ccserver() {
	local out="$BIN/aeoledger-chaincode" files=() why="no binary yet"
	if [[ -x "$out" ]]; then
		# The Go and embedded files of the repository's own packages in the
		# server's build (test files do not count).
		mapfile -t files < <(cd "$REPO" && go list -deps -f \
			'{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}' \
			./cmd/aeoledger-chaincode | grep "^$REPO/")
		why="cannot list its source files"
		if [[ ${#files[@]} -gt 0 ]]; then
			why="$(find "${files[@]}" "$REPO/go.mod" "$REPO/go.sum" -newer "$out" -print -quit)"
			[[ -n "$why" ]] || return 0
			why="${why#"$REPO"/} changed"
		fi
	fi
	say "building cmd/aeoledger-chaincode ($why)"
	mkdir -p "$BIN"
	(cd "$REPO" && go build -o "$out.tmp" ./cmd/aeoledger-chaincode && mv "$out.tmp" "$out") ||
		die "building cmd/aeoledger-chaincode failed"
}

deploy_failed() {
	local rc=$?
	trap - EXIT
	if [[ $rc -ne 0 ]]; then
		say "network.sh deploy failed; stopping the chaincode server (the network stays up)"
		stop_process ccserver
	fi
	exit "$rc"
}

# ORDERER_ARGS are the peer CLI flags that reach orderer0 over TLS.
orderer_args() {
	ORDERER_ARGS=(-o "127.0.0.1:$(orderer_port 0)" --tls --cafile "$(orderer_tlsca)")
}

cmd_deploy() {
	local t0 out pkgid org seq version pids=() failed=0 p
	t0=$(now_ms)
	load_state
	orderer_args
	for org in "${ORGS[@]}"; do
		pid_of "$(peer_name "$org")" >/dev/null || die "$(peer_name "$org") is not running (run: network.sh up)"
	done

	build_ccserver

	make_package
	pkgid="$(with_env base_env -- "$BIN/peer" lifecycle chaincode calculatepackageid "$RUN/chaincode/$CC_NAME.tar.gz")" ||
		die "calculating the package ID failed"
	echo "$pkgid" >"$RUN/chaincode/package-id"
	say "package ID $pkgid"

	# The package only says where the server listens, so a new build of the
	# contract keeps the same package ID: restarting the server deploys it.
	stop_process ccserver
	start_ccserver
	trap deploy_failed EXIT

	# RUN/chaincode/committed holds "sequence package-id" of the definition
	# this script committed; `up` starts without it, so the first deploy
	# needs no query.
	local state="$RUN/chaincode/committed" committed_pkg=""
	seq=""
	[[ -f "$state" ]] && read -r seq committed_pkg <"$state"
	if [[ -n "$seq" && "$committed_pkg" == "$pkgid" ]]; then
		say "$CC_NAME sequence $seq is already committed with this package; chaincode server restarted"
	else
		seq=$((${seq:-0} + 1))
		version="$seq.0"
		# Approving needs only the package ID, not the installed package, so
		# installs and approvals run side by side.
		say "installing on ${#ORGS[@]} peers and approving $CC_NAME v$version sequence $seq for ${ORGS[*]}"
		for org in "${ORGS[@]}"; do
			install_on "$org" "$pkgid" &
			pids+=($!)
			approve_for "$org" "$pkgid" "$seq" "$version" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || failed=1; done
		[[ $failed == 0 ]] || die "installing or approving the chaincode failed (see above)"

		say "committing $CC_NAME sequence $seq"
		local peers=()
		for org in "${ORGS[@]}"; do
			peers+=(--peerAddresses "127.0.0.1:$(peer_port "$org")" --tlsRootCertFiles "$(peer_tlsca "$org")")
		done
		out="$(retry 10 peer_cli exporter lifecycle chaincode commit "${ORDERER_ARGS[@]}" --channelID "$CHANNEL" \
			--name "$CC_NAME" --version "$version" --sequence "$seq" "${peers[@]}" 2>&1)" ||
			die "committing $CC_NAME failed: $out"
		echo "$seq $pkgid" >"$state"
	fi

	wait_port ccserver "$(ccserver_port)" 15 || die "the chaincode server did not start"
	say "checking that every peer reaches the chaincode"
	pids=()
	for org in "${ORGS[@]}"; do
		ping_chaincode "$org" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	[[ $failed == 0 ]] || die "a peer cannot reach the chaincode server (see above)"
	trap - EXIT
	say "chaincode $CC_NAME deployed in $(elapsed "$t0") s"
}

# retry N CMD...: runs CMD up to N times, 0.5 s apart, until it succeeds.
retry() {
	local n=$1 i
	shift
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		[[ $i -lt $n ]] && sleep 0.5
	done
	return 1
}

install_on() {
	local org=$1 pkgid=$2 out
	out="$(peer_cli "$org" lifecycle chaincode install "$RUN/chaincode/$CC_NAME.tar.gz" 2>&1)" && return 0
	grep -q "already successfully installed" <<<"$out" && return 0
	say "installing $pkgid on $(peer_name "$org") failed: $out"
	return 1
}

approve_for() {
	local org=$1 pkgid=$2 seq=$3 version=$4 out
	# No --signature-policy: the definition uses the channel's default,
	# /Channel/Application/Endorsement = MAJORITY Endorsement.
	out="$(retry 10 peer_cli "$org" lifecycle chaincode approveformyorg "${ORDERER_ARGS[@]}" --channelID "$CHANNEL" \
		--name "$CC_NAME" --version "$version" --package-id "$pkgid" --sequence "$seq" 2>&1)" || {
		say "approving for ${ORG_MSP[$org]} failed: $out"
		return 1
	}
}

# ping_chaincode ORG evaluates the contract's metadata on ORG's peer, which
# also makes the peer open its connection to the chaincode server.
ping_chaincode() {
	local org=$1 out
	out="$(retry 20 peer_cli "$org" chaincode query --channelID "$CHANNEL" --name "$CC_NAME" \
		-c '{"Args":["org.hyperledger.fabric:GetMetadata"]}' 2>&1)" || {
		say "$(peer_name "$org") cannot query $CC_NAME: $out"
		return 1
	}
}

# ---------------------------------------------------------------- down, status, logs

cmd_down() {
	if [[ ! -d "$RUN" ]]; then
		say "nothing to stop ($RUN does not exist)"
		return 0
	fi
	[[ -f "$RUN/network.env" ]] && source "$RUN/network.env"
	say "stopping: $(running_names | tr '\n' ' ')"
	stop_all
	local left
	left="$(running_names)"
	[[ -z "$left" ]] || die "still running after stop: $left"
	rm -rf "$RUN"
	say "network down; $RUN removed"
}

cmd_status() {
	load_state
	local f name pid state
	printf '%-18s %-8s %-8s %s\n' NAME PID STATE LOG
	for f in "$RUN"/pids/*.pid; do
		[[ -e "$f" ]] || continue
		name="$(basename "$f" .pid)"
		if pid="$(pid_of "$name")"; then state=running; else
			pid="$(cat "$f")"
			state=dead
		fi
		printf '%-18s %-8s %-8s %s\n' "$name" "$pid" "$state" "$RUN/logs/$name.log"
	done
	echo "consensus: $CONSENSUS, $(orderer_count) orderer(s); port base $(port_base)"
	local org
	for org in "${ORGS[@]}"; do
		pid_of "$(peer_name "$org")" >/dev/null || continue
		printf '%-18s 127.0.0.1:%s  ' "$(peer_name "$org")" "$(peer_port "$org")"
		peer_cli "$org" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/^Blockchain info: //p' || echo "(not joined)"
	done
	pid_of peer0.exporter >/dev/null &&
		peer_cli exporter lifecycle chaincode querycommitted --channelID "$CHANNEL" 2>/dev/null | sed -n 's/^Name: /chaincode: /p'
	[[ -f "$RUN/connection.yaml" ]] && echo "profile: $RUN/connection.yaml"
	return 0
}

cmd_logs() {
	local name="" follow=0 a f
	for a in "$@"; do
		case "$a" in
		-f) follow=1 ;;
		*) name=$a ;;
		esac
	done
	[[ -d "$RUN/logs" ]] || die "no logs in $RUN"
	if [[ -n "$name" ]]; then
		f="$RUN/logs/$name.log"
		[[ -f "$f" ]] || die "no log named $name; have: $(cd "$RUN/logs" && ls | sed 's/\.log$//' | tr '\n' ' ')"
		if [[ $follow == 1 ]]; then exec tail -n 50 -f "$f"; else tail -n 100 "$f"; fi
		return
	fi
	if [[ $follow == 1 ]]; then exec tail -n 20 -f "$RUN"/logs/*.log; fi
	for f in "$RUN"/logs/*.log; do
		echo "==> $(basename "$f" .log) <=="
		tail -n 20 "$f"
	done
}

# cmd_node start|stop NAME controls one node of a running network.
cmd_node() {
	local action=$1 name=${2:-}
	load_state
	case "$name" in
	orderer[0-3])
		local n=${name#orderer}
		[[ $n -lt $(orderer_count) ]] || die "no $name in this network"
		if [[ $action == stop ]]; then stop_process "$name"; else
			pid_of "$name" >/dev/null && die "$name is already running"
			start_orderer "$n"
			wait_orderer "$n" || die "$name did not start"
		fi
		;;
	peer0.exporter | peer0.carrier | peer0.customs)
		local org=${name#peer0.}
		if [[ $action == stop ]]; then stop_process "$name"; else
			pid_of "$name" >/dev/null && die "$name is already running"
			start_peer "$org"
			wait_peer "$org" || die "$name did not start"
		fi
		;;
	ccserver)
		if [[ $action == stop ]]; then stop_process ccserver; else
			[[ -f "$RUN/chaincode/package-id" ]] || die "the chaincode is not deployed (run: network.sh deploy)"
			pid_of ccserver >/dev/null && die "ccserver is already running"
			start_ccserver
			wait_port ccserver "$(ccserver_port)" 15 || die "ccserver did not start"
		fi
		;;
	*) die "unknown node '$name' (orderer0..3, peer0.exporter, peer0.carrier, peer0.customs, ccserver)" ;;
	esac
	if [[ $action == stop ]]; then say "$name: stopped"; else say "$name: started"; fi
}

# ---------------------------------------------------------------- main

main() {
	local mode="" args=()
	CONSENSUS=raft
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--bft) CONSENSUS=bft ;;
		--raft) CONSENSUS=raft ;;
		-h | --help) usage ;;
		*) if [[ -z "$mode" ]]; then mode=$1; else args+=("$1"); fi ;;
		esac
		shift
	done
	case "$mode" in
	up) cmd_up ;;
	deploy) cmd_deploy ;;
	down) cmd_down ;;
	status) cmd_status ;;
	logs) cmd_logs "${args[@]}" ;;
	start | stop) cmd_node "$mode" "${args[@]}" ;;
	build)
		ensure_binaries
		build_ccserver
		say "binaries ready in $BIN"
		;;
	*) usage ;;
	esac
}

main "$@"
