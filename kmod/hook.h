/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SIPK_HOOK_H
#define _SIPK_HOOK_H

struct sipk_net;

int sipk_hooks_register(struct sipk_net *sn);
void sipk_hooks_unregister(struct sipk_net *sn);
int sipk_route_cache_init(struct sipk_net *sn);
void sipk_route_cache_exit(struct sipk_net *sn);

#endif /* _SIPK_HOOK_H */
