// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_sim: the NIC of a simulated net function. Two Ethernet devices: the
 * host's NIC and its representor on the DPU side (switchdev style). What
 * one transmits, the other receives, as with a veth pair.
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "dpu_sim.h"
#include "dpu.h"

struct dpu_sim_net {
	struct net_device *dev;
	struct net_device *rep;
	bool dead;		/* surprise-removed: traffic is dropped */
	struct dpu_fn *fn;	/* limits: charged through the core */
	atomic64_t rx_limit_drops;
};

struct sim_nic_priv {
	struct net_device __rcu *peer;
	struct dpu_sim_net *net;
	atomic64_t tx_dropped;
};

/* The core's rate groups let the held-back packet go on. */
static void sim_nic_wake(struct dpu_rate_waiter *w)
{
	struct dpu_sim_net *net = w->priv;

	netif_wake_queue(net->dev);
}

/*
 * Does the DPU leave this direction's limits to the host? Then they are
 * neither charged nor counted here: the host's BPF shapes and counts them.
 */
static bool sim_nic_host_limited(struct dpu_sim_net *net, bool tx)
{
	unsigned long host = READ_ONCE(net->fn->ddev->host_kinds);

	if (tx)
		return host & (BIT(DPU_LIM_NET_TX_BPS) | BIT(DPU_LIM_NET_TX_PPS));
	return host & (BIT(DPU_LIM_NET_RX_BPS) | BIT(DPU_LIM_NET_RX_PPS));
}

static netdev_tx_t sim_nic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct sim_nic_priv *priv = netdev_priv(dev);
	unsigned int len = skb->len;
	struct dpu_rate_cost cost;
	struct net_device *peer;
	bool tx;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer || READ_ONCE(priv->net->dead))) {
		kfree_skb(skb);
		goto drop;
	}
	tx = dev == priv->net->dev;
	/* limits the host enforces (dpud's BPF) are not the DPU's to charge */
	if (sim_nic_host_limited(priv->net, tx))
		goto forward;
	dpu_rate_cost_net(&cost, tx, len);
	if (tx) {
		if (dpu_fn_rate_charge(priv->net->fn, &cost) == DPU_RATE_QUEUED) {
			/* over a tx limit: the qdisc keeps it, sim_nic_wake() wakes us */
			netif_stop_queue(dev);
			/* stopped before checking: pairs with the waker's smp_mb() */
			smp_mb__after_atomic();
			if (!dpu_rate_waiter_pending(&priv->net->fn->rate_waiter))
				netif_wake_queue(dev);
			rcu_read_unlock();
			return NETDEV_TX_BUSY;
		}
	} else if (!dpu_fn_rate_try(priv->net->fn, &cost)) {
		/* over the host's rx limit: dropped and counted */
		atomic64_inc(&priv->net->rx_limit_drops);
		kfree_skb(skb);
		goto drop;
	}
forward:
	if (dev_forward_skb(peer, skb) != NET_RX_SUCCESS)
		goto drop;
	dev_lstats_add(dev, len);
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	atomic64_inc(&priv->tx_dropped);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static void sim_nic_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct sim_nic_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	u64 packets, bytes;

	dev_lstats_read(dev, &packets, &bytes);
	s->tx_packets = packets;
	s->tx_bytes = bytes;
	s->tx_dropped = atomic64_read(&priv->tx_dropped);

	/* what the peer sent is what this one received */
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (peer) {
		struct sim_nic_priv *ppriv = netdev_priv(peer);

		dev_lstats_read(peer, &packets, &bytes);
		s->rx_packets = packets;
		s->rx_bytes = bytes;
		s->rx_dropped = atomic64_read(&ppriv->tx_dropped);
		if (dev == priv->net->dev)
			s->rx_dropped += atomic64_read(&priv->net->rx_limit_drops);
	}
	rcu_read_unlock();
}

static int sim_nic_open(struct net_device *dev)
{
	struct sim_nic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	if (peer && (peer->flags & IFF_UP) && !READ_ONCE(priv->net->dead)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int sim_nic_stop(struct net_device *dev)
{
	struct sim_nic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

static int sim_nic_init(struct net_device *dev)
{
	dev->lstats = netdev_alloc_pcpu_stats(struct pcpu_lstats);
	return dev->lstats ? 0 : -ENOMEM;
}

static void sim_nic_uninit(struct net_device *dev)
{
	free_percpu(dev->lstats);
}

static const struct net_device_ops sim_nic_ops = {
	.ndo_init = sim_nic_init,
	.ndo_uninit = sim_nic_uninit,
	.ndo_open = sim_nic_open,
	.ndo_stop = sim_nic_stop,
	.ndo_start_xmit = sim_nic_xmit,
	.ndo_get_stats64 = sim_nic_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static struct net_device *sim_nic_alloc(struct dpu_sim_net *net,
					const char *name, struct device *parent)
{
	struct sim_nic_priv *priv;
	struct net_device *dev;

	dev = alloc_etherdev(sizeof(*priv));
	if (!dev)
		return NULL;
	strscpy(dev->name, name, IFNAMSIZ);
	dev->netdev_ops = &sim_nic_ops;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	dev->features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA |
			 NETIF_F_FRAGLIST | NETIF_F_GSO_SOFTWARE;
	dev->hw_features = dev->features;
	SET_NETDEV_DEV(dev, parent);
	priv = netdev_priv(dev);
	priv->net = net;
	return dev;
}

struct dpu_sim_net *dpu_sim_net_create(struct dpu_fn *fn, const char *name,
				       const char *rep_name, const u8 *mac,
				       struct device *parent)
{
	struct sim_nic_priv *dpriv, *rpriv;
	struct dpu_sim_net *net;
	int err = -ENOMEM;

	net = kzalloc(sizeof(*net), GFP_KERNEL);
	if (!net)
		return ERR_PTR(-ENOMEM);
	net->dev = sim_nic_alloc(net, name, parent);
	net->rep = sim_nic_alloc(net, rep_name, parent);
	if (!net->dev || !net->rep)
		goto err_free;
	eth_hw_addr_set(net->dev, mac);
	eth_hw_addr_random(net->rep);
	/* the representor needs no qdisc; the NIC has one to hold what its
	 * tx limit holds back
	 */
	net->rep->priv_flags |= IFF_NO_QUEUE;
	net->fn = fn;
	dpu_fn_rate_start(fn, sim_nic_wake, net);
	dpriv = netdev_priv(net->dev);
	rpriv = netdev_priv(net->rep);

	rtnl_lock();
	err = register_netdevice(net->dev);
	if (err)
		goto err_unlock;
	err = register_netdevice(net->rep);
	if (err) {
		unregister_netdevice(net->dev);
		goto err_unlock;
	}
	netif_carrier_off(net->dev);
	netif_carrier_off(net->rep);
	rcu_assign_pointer(dpriv->peer, net->rep);
	rcu_assign_pointer(rpriv->peer, net->dev);
	rtnl_unlock();
	return net;

err_unlock:
	rtnl_unlock();
err_free:
	dpu_fn_rate_stop(fn);
	/* an unregistered device is freed here after rtnl_unlock() ran todo */
	free_netdev(net->dev);
	free_netdev(net->rep);
	kfree(net);
	return ERR_PTR(err);
}

struct net_device *dpu_sim_net_dev(struct dpu_sim_net *net)
{
	return net->dev;
}

struct net_device *dpu_sim_net_rep(struct dpu_sim_net *net)
{
	return net->rep;
}

void dpu_sim_net_kill(struct dpu_sim_net *net)
{
	WRITE_ONCE(net->dead, true);
	netif_carrier_off(net->dev);
	netif_carrier_off(net->rep);
}

void dpu_sim_net_destroy(struct dpu_sim_net *net)
{
	struct sim_nic_priv *dpriv = netdev_priv(net->dev);
	struct sim_nic_priv *rpriv = netdev_priv(net->rep);
	LIST_HEAD(list);

	rtnl_lock();
	RCU_INIT_POINTER(dpriv->peer, NULL);
	RCU_INIT_POINTER(rpriv->peer, NULL);
	unregister_netdevice_queue(net->dev, &list);
	unregister_netdevice_queue(net->rep, &list);
	unregister_netdevice_many(&list);
	rtnl_unlock();	/* waits for the last references */
	/* no more packets: none waits for the rate groups, none will */
	dpu_fn_rate_stop(net->fn);
	free_netdev(net->dev);
	free_netdev(net->rep);
	kfree(net);
}
