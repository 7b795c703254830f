// A bounded multi-producer, single-consumer queue feeding one shard.
//
// Capacity is counted in units (spans, points, log records) as well as items, so the bound means
// memory rather than request count. Producers reserve before pushing; a producer that must place
// parts of one batch on several shards reserves on all of them first and pushes only when every
// reservation succeeded, so a batch is either enqueued whole or refused whole (an acknowledged
// request is never half-enqueued). The consumer releases an item's units after processing it, so
// in-use units include work in progress.
//
// A control lane (unbounded, meant for rare small tasks such as API queries) is served before the
// data lane.
//
// Threads: TryReserve/CancelReservation/PushReserved/PushControl/Close from any thread;
// Pop/Release only from the single consumer thread. No lock on the data path: items travel
// through a lock-free ring; the mutex only guards the consumer's sleep and the control lane.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include <boost/lockfree/queue.hpp>

#include "absl/base/thread_annotations.h"

namespace augur::bus {

template <typename T>
class ShardQueue {
 public:
  // `max_items` must be at most 65534 (the lock-free ring's index width).
  ShardQueue(size_t capacity_units, size_t max_items)
      : capacity_units_(capacity_units), max_items_(max_items), ring_(max_items) {}

  ~ShardQueue() {
    T* item = nullptr;
    while (ring_.pop(item)) delete item;
  }

  ShardQueue(const ShardQueue&) = delete;
  ShardQueue& operator=(const ShardQueue&) = delete;

  // Reserves room for one item of `units`. False when the queue is full or closed.
  bool TryReserve(size_t units) {
    if (closed_.load(std::memory_order_acquire)) return false;
    size_t items = reserved_items_.fetch_add(1, std::memory_order_acq_rel);
    if (items >= max_items_) {
      reserved_items_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    size_t used = reserved_units_.fetch_add(units, std::memory_order_acq_rel);
    // An item larger than the whole capacity is admitted into an empty queue, so that no batch
    // within the request limit can be refused forever.
    if (used + units > capacity_units_ && used != 0) {
      reserved_units_.fetch_sub(units, std::memory_order_acq_rel);
      reserved_items_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  }

  // Gives back a reservation that will not be used.
  void CancelReservation(size_t units) {
    reserved_units_.fetch_sub(units, std::memory_order_acq_rel);
    reserved_items_.fetch_sub(1, std::memory_order_acq_rel);
  }

  // Pushes an item whose room was reserved. Never fails.
  void PushReserved(T item) {
    bool pushed = ring_.bounded_push(new T(std::move(item)));
    (void)pushed;  // cannot fail: reservations bound the items to the ring's capacity
    WakeConsumer();
  }

  // Pushes a task onto the control lane; accepted even when the data lane is full.
  void PushControl(T item) {
    {
      std::lock_guard lock(mu_);
      control_.push_back(std::move(item));
    }
    control_size_.fetch_add(1, std::memory_order_release);
    cv_.notify_one();
  }

  // Consumer: takes the next item, waiting up to `max_wait`. False on timeout, or when closed and
  // empty. Control items need no Release(); data items do.
  bool Pop(T* out, bool* is_control, std::chrono::milliseconds max_wait) {
    if (TryPop(out, is_control)) return true;
    std::unique_lock lock(mu_);
    sleeping_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool got = false;
    cv_.wait_for(lock, max_wait, [&] {
      if (control_size_.load(std::memory_order_acquire) > 0 || !ring_.empty()) return true;
      return closed_.load(std::memory_order_acquire);
    });
    sleeping_.store(false, std::memory_order_relaxed);
    lock.unlock();
    got = TryPop(out, is_control);
    return got;
  }

  // Consumer: frees the room of a processed data item.
  void Release(size_t units) {
    reserved_units_.fetch_sub(units, std::memory_order_acq_rel);
    reserved_items_.fetch_sub(1, std::memory_order_acq_rel);
  }

  // Refuses new reservations and wakes the consumer; queued items can still be popped.
  void Close() {
    closed_.store(true, std::memory_order_release);
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }

  bool closed() const { return closed_.load(std::memory_order_acquire); }
  size_t units_in_use() const { return reserved_units_.load(std::memory_order_relaxed); }
  size_t capacity_units() const { return capacity_units_; }
  bool Empty() const { return ring_.empty() && control_size_.load(std::memory_order_acquire) == 0; }

 private:
  bool TryPop(T* out, bool* is_control) {
    if (control_size_.load(std::memory_order_acquire) > 0) {
      std::lock_guard lock(mu_);
      if (!control_.empty()) {
        *out = std::move(control_.front());
        control_.pop_front();
        control_size_.fetch_sub(1, std::memory_order_release);
        *is_control = true;
        return true;
      }
    }
    T* item = nullptr;
    if (ring_.pop(item)) {
      *out = std::move(*item);
      delete item;
      *is_control = false;
      return true;
    }
    return false;
  }

  void WakeConsumer() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard lock(mu_);
      cv_.notify_one();
    }
  }

  const size_t capacity_units_;
  const size_t max_items_;
  std::atomic<size_t> reserved_units_{0};
  std::atomic<size_t> reserved_items_{0};
  std::atomic<bool> closed_{false};
  std::atomic<bool> sleeping_{false};
  std::atomic<size_t> control_size_{0};
  boost::lockfree::queue<T*, boost::lockfree::fixed_sized<true>> ring_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> control_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur::bus
