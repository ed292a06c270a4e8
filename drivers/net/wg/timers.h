/* SPDX-License-Identifier: GPL-2.0 */
/* Per-peer protocol timers (protocol sheet: "Timers"). */
#ifndef _WG_TIMERS_H
#define _WG_TIMERS_H

#include <linux/types.h>

struct wg_peer;

void wg_timers_init(struct wg_peer *peer);
/* Stops every timer for good; none fires after this returns. */
void wg_timers_stop(struct wg_peer *peer);

#endif /* _WG_TIMERS_H */
