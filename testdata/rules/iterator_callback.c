// An iterator that calls the function its caller hands it with a lock
// or rcu_read_lock() held runs that function in that context: a sleep
// in it is a bug of the caller that chose it (ieee80211 iterators with
// _atomic in their name call the iterator under rcu_read_lock()). The
// iterator may call it through a helper it hands the pointer to.
struct sta { int id; };
struct hw { spinlock_t lock; struct list_head stas; };
struct vif { struct mutex mtx; int rate; };

static void __iterate_stations(struct hw *hw, void (*iterator)(void *data, struct sta *sta), void *data)
{
	struct sta *sta;

	list_for_each_entry_rcu(sta, &hw->stas, list)
		iterator(data, sta);
}

void iterate_stations_atomic(struct hw *hw, void (*iterator)(void *data, struct sta *sta), void *data)
{
	rcu_read_lock();
	__iterate_stations(hw, iterator, data);
	rcu_read_unlock();
}

void iterate_stations_locked(struct hw *hw, void (*fn)(void *data, struct sta *sta), void *data)
{
	spin_lock_bh(&hw->lock);
	__iterate_stations(hw, fn, data);
	spin_unlock_bh(&hw->lock);
}

void iterate_stations_mtx(struct hw *hw, struct vif *vif, void (*fn)(void *data, struct sta *sta), void *data)
{
	mutex_lock(&vif->mtx);
	__iterate_stations(hw, fn, data);
	mutex_unlock(&vif->mtx);
}

static void set_peer_rate(void *data, struct sta *sta)
{
	struct vif *vif = data;

	mutex_lock(&vif->mtx);
	vif->rate = sta->id;
	mutex_unlock(&vif->mtx);
}

static void count_peer(void *data, struct sta *sta)
{
	int *n = data;

	(*n)++;
}

void set_bitrate_mask(struct hw *hw, struct vif *vif)
{
	int n = 0;

	iterate_stations_atomic(hw, set_peer_rate, vif); /* want SLEEP_IN_RCU "set_peer_rate" */
	iterate_stations_atomic(hw, count_peer, &n);
	iterate_stations_locked(hw, set_peer_rate, vif); /* want SLEEP_IN_ATOMIC "set_peer_rate" */
}

/* A sleeping iterator that holds nothing atomic: fine. */
void set_rates_sleeping(struct hw *hw, struct vif *vif, struct vif *other)
{
	iterate_stations_mtx(hw, other, set_peer_rate, vif);
}
