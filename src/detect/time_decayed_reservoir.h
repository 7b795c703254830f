// A fixed-size weighted random sample of a stream in which later items weigh more: the sample a
// random cut tree of RandomCutForest holds. The t-th item weighs exp(time_decay * t), so a decay
// of 0 gives a uniform sample of all history and a positive decay forgets old items.
//
// Weighted reservoir sampling (Efraimidis and Spirakis, "Weighted random sampling with a
// reservoir", IPL 2006): each item gets the key E / w with E ~ Exp(1) (their u^(1/w) in logs) and
// the sample is the `capacity` items with the smallest keys. Instead of drawing a key for every
// item, the reservoir draws how much weight passes before the next item enters (their algorithm
// A-ExpJ, exponential jumps), so an item that does not enter costs a subtraction.
//
// Items are 16-bit handles chosen by the owner (a tree slot). Not thread-safe; owned by its
// forest.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/binary_io.h"
#include "detect/random_cut_tree.h"

namespace augur::detect {

class TimeDecayedReservoir {
 public:
  explicit TimeDecayedReservoir(int capacity);

  int capacity() const { return capacity_; }
  int size() const { return static_cast<int>(keys_.size()); }
  uint16_t handle(int i) const { return handles_[i]; }
  size_t HeapBytes() const {
    return keys_.capacity() * sizeof(double) + handles_.capacity() * sizeof(uint16_t);
  }

  // Offers the next item, of weight exp(log_weight) (`weight` is that value; weights are relative
  // to the owner's base, see Rebase). True when it enters the sample; then *evicted is the handle
  // it replaces, or -1 while the sample is not full, and Admit must follow before the next offer.
  bool Offer(double weight, double log_weight, RandomCutTree::Rng* rng, int* evicted);
  // Completes an accepted offer: the item's handle.
  void Admit(uint16_t handle, RandomCutTree::Rng* rng);

  // The owner moved its base forward by `log_shift` (weights measured from the new base are
  // exp(log_shift) times smaller), which keeps weights within double range on endless streams.
  void Rebase(double log_shift);

  void Save(core::BinaryWriter* w) const;
  // Reads what Save wrote for the same capacity, checking that it is a valid heap.
  absl::Status Restore(core::BinaryReader* r);

 private:
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  // Draws the weight that passes before the next item enters a full sample.
  void ArmJump(RandomCutTree::Rng* rng);

  int capacity_;
  std::vector<double> keys_;       // log keys, a max-heap: keys_[0] is the first to go
  std::vector<uint16_t> handles_;  // parallel to keys_
  double remaining_ = 0;           // weight still to pass before the next item enters (when full)
  double pending_key_ = 0;         // of the accepted item awaiting Admit
  bool pending_evicts_ = false;
};

}  // namespace augur::detect
