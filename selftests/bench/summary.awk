# SPDX-License-Identifier: GPL-2.0
#
# summary.awk - means and ratios of the benchmarks' raw figures.
#
#   awk -v mode=lines -f summary.awk LOG...   one line per metric
#   awk -v mode=table -f summary.awk LOG...   the table for the README
#
# Input: the lines "raw BOOT KERNEL PATH METRIC MODULE RUN VALUE" that
# data.sh and scale.sh print (other lines are ignored). MODULE is "ours" or
# "in-tree", KERNEL the series (6.12), PATH "veth", "loop" or a peer count.
# VALUE ">N" means "more than N" (a timeout); "-" a run that failed.
#
# Per boot, kernel, path and metric: the mean of each module's runs and the
# ratio ours / in-tree. Over several boots (WG_BENCH_BOOTS), "lines" prints
# each boot's figures and "table" the range (min-max) of the boots' means
# and ratios.

function meta(m, label, unit, fmt, target) {
	LABEL[m] = label; UNIT[m] = unit; FMT[m] = fmt; TARGET[m] = target
	ORDER[++norder] = m
}

BEGIN {
	# target: "r>=1.3" on the ratio, "o<=1.0" on ours' own figure.
	meta("tcp1", "TCP, 1 flow", "Mbit/s", "%.0f", "r>=1.3")
	meta("tcp4", "TCP, 4 flows", "Mbit/s", "%.0f", "r>=1.3")
	meta("udp64", "UDP, 64 B packets", "pkt/s", "%.0f", "r>=1.3")
	meta("ping", "ping rtt, median", "ms", "%.3f", "r<=0.8")
	meta("ping_avg", "ping rtt, average", "ms", "%.3f", "")
	meta("tcp1_ctxt", "TCP 1 flow: ctx switches", "/MB", "%.1f", "")
	meta("tcp1_ipi", "TCP 1 flow: IPIs", "/MB", "%.1f", "")
	meta("tcp4_ctxt", "TCP 4 flows: ctx switches", "/MB", "%.1f", "")
	meta("tcp4_ipi", "TCP 4 flows: IPIs", "/MB", "%.1f", "")
	meta("setconf", "wg setconf", "s", "%.2f", "")
	meta("dump", "wg show dump", "s", "%.2f", "")
	meta("dump_user", "wg show dump: user CPU", "s", "%.2f", "")
	meta("dump_sys", "wg show dump: system CPU", "s", "%.2f", "")
	meta("dump_nl", "dump, undecoded (netlink)", "s", "%.2f", "")
	meta("kib_peer", "memory/peer, slab+percpu", "KiB", "%.2f", "o<=1.0")
	meta("kib_peer_free", "memory/peer, MemFree", "KiB", "%.2f", "")
	meta("del_all", "ip link del (up, idle)", "s", "%.2f", "")
	meta("hs_rate", "handshakes as responder", "1/s", "%.0f", "")
	meta("del_up_idle", "delete: up, idle", "s", "%.2f", "o<1")
	meta("del_down_idle", "delete: down, idle", "s", "%.2f", "o<1")
	meta("del_up_hs", "delete: up, handshaken", "s", "%.2f", "o<1")
	meta("del_down_hs", "delete: down, handshaken", "s", "%.2f", "o<1")
}

$1 == "raw" && NF >= 8 {
	boot = $2; k = $3; p = $4; m = $5; mod = $6; v = $8
	if (v == "-")
		next
	if (!(m in LABEL)) {
		meta(m, m, "", "%.3g", "")
	}
	key = boot SUBSEP k SUBSEP p SUBSEP m SUBSEP mod
	if (substr(v, 1, 1) == ">") {
		v = substr(v, 2); GT[key] = 1
	}
	SUM[key] += v; N[key]++
	RUNS[key] = RUNS[key] (RUNS[key] == "" ? "" : " ") (GT[key] && $8 ~ /^>/ ? ">" : "") fmtv(m, v)
	if (!(boot in SEENB)) { SEENB[boot] = 1; BOOTS[++nboots] = boot }
	kp = k SUBSEP p
	if (!(kp in SEENKP)) { SEENKP[kp] = 1; KPS[++nkp] = kp }
	HAVE[kp, m] = 1
}

function fmtv(m, v) { return sprintf(FMT[m], v) }
function rfmt(r) { return sprintf(r >= 0.1 ? "%.2f" : "%.2g", r) }

# mean BOOT KP M MOD: sets MEAN and MGT (a lower bound); 0 if no runs.
function mean(b, kp, m, mod,   key) {
	key = b SUBSEP kp SUBSEP m SUBSEP mod
	if (!N[key]) return 0
	MEAN = SUM[key] / N[key]; MGT = GT[key] ? 1 : 0
	return 1
}

function show(m, v, gt) { return (gt ? ">" : "") fmtv(m, v) }

# ratio text of ours (o, ogt) over in-tree (t, tgt).
function ratio(o, ogt, t, tgt) {
	if (t <= 0) return "?"
	if (ogt && tgt) return "?"
	return (ogt ? ">" : tgt ? "<" : "") rfmt(o / t)
}

# verdict of a target on the ratio r (text) or on ours' figure o.
function verdict(m, r, o, ogt,   t, kind, op, want, x) {
	t = TARGET[m]
	if (t == "") return ""
	kind = substr(t, 1, 1)
	op = t; sub(/^[ro]/, "", op); want = op; sub(/^[<>=]+/, "", want); sub(/[0-9.]+$/, "", op)
	if (kind == "r") {
		if (r == "?") return "target " op want "x"
		x = r; sub(/^[<>]/, "", x)
		return "target " op want "x: " (cmp(x + 0, op, want + 0) ? "met" : "not met")
	}
	if (ogt) return "target " op want " " UNIT[m] ": not met"
	return "target " op want " " UNIT[m] ": " (cmp(o, op, want + 0) ? "met" : "not met")
}

function cmp(x, op, y) {
	if (op == ">=") return x >= y
	if (op == "<=") return x <= y
	if (op == "<") return x < y
	return x > y
}

function lines_mode(   i, j, mi, b, kp, m, o, ogt, t, tgt, r, kpn, oruns, truns, line, v) {
	for (i = 1; i <= nboots; i++) {
		b = BOOTS[i]
		for (j = 1; j <= nkp; j++) {
			kp = KPS[j]; split(kp, kpn, SUBSEP)
			for (mi = 1; mi <= norder; mi++) {
				m = ORDER[mi]
				if (!HAVE[kp, m]) continue
				o = t = ""; ogt = tgt = 0
				if (mean(b, kp, m, "ours")) { o = MEAN; ogt = MGT }
				if (mean(b, kp, m, "in-tree")) { t = MEAN; tgt = MGT }
				if (o == "" && t == "") continue
				oruns = RUNS[b, kp, m, "ours"]; truns = RUNS[b, kp, m, "in-tree"]
				line = sprintf("%s%s %s %s: ours %s", nboots > 1 ? "boot " b ": " : "",
					kpn[1], kpn[2], m, o == "" ? "-" : show(m, o, ogt))
				if (oruns ~ / /) line = line " (" oruns ")"
				line = line ", in-tree " (t == "" ? "-" : show(m, t, tgt))
				if (truns ~ / /) line = line " (" truns ")"
				line = line " " UNIT[m]
				r = (o != "" && t != "") ? ratio(o, ogt, t, tgt) : "?"
				line = line ", ratio " r
				v = verdict(m, r, o, ogt)
				if (v != "") line = line " (" v ")"
				print line
			}
		}
	}
}

# range LIST: "min-max" of numbers with optional ">" / "<" marks, or one value.
function range(m, vals, isratio,   n, a, i, x, lo, hi, mark, s) {
	n = split(vals, a, " ")
	if (n == 0) return "-"
	for (i = 1; i <= n; i++) {
		x = a[i]; if (x ~ /^[<>]/) { mark = substr(x, 1, 1); x = substr(x, 2) }
		if (x == "?") continue
		x += 0
		if (lo == "" || x < lo) lo = x
		if (hi == "" || x > hi) hi = x
	}
	if (lo == "") return "?"
	s = isratio ? rfmt(lo) : fmtv(m, lo)
	if (hi != lo) s = s "-" (isratio ? rfmt(hi) : fmtv(m, hi))
	return mark s
}

function table_mode(   j, kp, kpn, mi, m, i, b, os, ts, rs, o, ogt, t, tgt, r, tgtxt, any) {
	printf "%-7s %-6s %-27s %-7s %-15s %-15s %-11s %s\n", "kernel", "path", "metric", "unit", "ours", "in-tree", "ratio", "target"
	for (j = 1; j <= nkp; j++) {
		kp = KPS[j]; split(kp, kpn, SUBSEP)
		for (mi = 1; mi <= norder; mi++) {
			m = ORDER[mi]
			if (!HAVE[kp, m]) continue
			os = ts = rs = ""; any = 0
			for (i = 1; i <= nboots; i++) {
				b = BOOTS[i]; o = t = ""; ogt = tgt = 0
				if (mean(b, kp, m, "ours")) { o = MEAN; ogt = MGT; os = os " " (ogt ? ">" : "") o; any = 1 }
				if (mean(b, kp, m, "in-tree")) { t = MEAN; tgt = MGT; ts = ts " " (tgt ? ">" : "") t; any = 1 }
				if (o != "" && t != "") rs = rs " " ratio(o, ogt, t, tgt)
			}
			if (!any) continue
			tgtxt = TARGET[m]
			sub(/^r/, "", tgtxt); if (TARGET[m] ~ /^r/) tgtxt = tgtxt "x"
			if (TARGET[m] ~ /^o/) { sub(/^o/, "", tgtxt); tgtxt = "ours " tgtxt " " UNIT[m] }
			printf "%-7s %-6s %-27s %-7s %-15s %-15s %-11s %s\n", kpn[1], kpn[2], LABEL[m], UNIT[m],
				range(m, os, 0), range(m, ts, 0), rs == "" ? "-" : range(m, rs, 1), tgtxt
		}
	}
	if (nboots > 1)
		printf "(%d boots: each figure is the range of the boots' means; ratio = ours / in-tree per boot)\n", nboots
}

END {
	if (mode == "table") table_mode(); else lines_mode()
}
