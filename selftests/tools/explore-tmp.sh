for t in /run/repo/selftests/tests/10-config-*.sh /run/repo/selftests/tests/99-rmmod.sh; do
	s=$(date +%s.%N); bash $t >/tmp/out 2>&1; rc=$?
	echo "$(echo "$(date +%s.%N) - $s" | bc | cut -c1-5)s rc=$rc $(grep -c '^not ok' /tmp/out) $t"
done
