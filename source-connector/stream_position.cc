#include "source-connector/stream_position.h"

#include <atomic>
#include <utility>

namespace tweetstream::source {

bool StreamLineQueue::Push(StreamItem item, const std::atomic<bool>* stop) {
  absl::MutexLock lock(&mu_);
  if (item.kind == StreamItem::Kind::kLine) {
    const size_t size = item.line.size();
    auto room = [this, size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      // One line always fits into an empty queue, however long (max_line_bytes bounds it).
      return lines_ == 0 || (lines_ < max_lines_ && bytes_ + size <= max_bytes_);
    };
    if (!room()) {
      ++full_waits_;
      while (!room()) {
        if (stop != nullptr && stop->load()) return false;
        mu_.AwaitWithTimeout(absl::Condition(&room), absl::Milliseconds(50));
      }
    }
    bytes_ += item.line.size();
    ++lines_;
  }
  items_.push_back(std::move(item));
  return true;
}

bool StreamLineQueue::Pop(StreamItem* item, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto any = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !items_.empty(); };
  if (!any() && !mu_.AwaitWithTimeout(absl::Condition(&any), timeout)) return false;
  *item = std::move(items_.front());
  items_.pop_front();
  if (item->kind == StreamItem::Kind::kLine) {
    bytes_ -= item->line.size();
    --lines_;
  }
  return true;
}

size_t StreamLineQueue::lines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

int64_t StreamLineQueue::full_waits() const {
  absl::MutexLock lock(&mu_);
  return full_waits_;
}

void DeliveryPosition::Raise(Position* p, const std::string& id, absl::Time read_at) {
  if (!id.empty() && IdLess(p->newest_id, id)) p->newest_id = id;
  if (read_at > p->read_at) p->read_at = read_at;
}

uint64_t DeliveryPosition::Track(const std::string& id, absl::Time read_at) {
  absl::MutexLock lock(&mu_);
  const uint64_t sequence = next_++;
  entries_.push_back(Entry{sequence, id, read_at, 0});
  return sequence;
}

void DeliveryPosition::Confirm(uint64_t sequence, const absl::Status& delivery) {
  absl::MutexLock lock(&mu_);
  if (entries_.empty() || sequence < entries_.front().sequence) return;
  const uint64_t index = sequence - entries_.front().sequence;
  if (index >= entries_.size()) return;
  Entry& e = entries_[index];
  if (e.state != 0) return;
  e.state = delivery.ok() ? 1 : -1;
  if (!delivery.ok() && failure_.ok()) failure_ = delivery;
  AdvanceLocked();
}

void DeliveryPosition::AdvanceLocked() {
  while (!entries_.empty() && entries_.front().state == 1) {
    const Entry& e = entries_.front();
    Raise(e.sequence >= barrier_ ? &held_ : &position_, e.id, e.read_at);
    entries_.pop_front();
  }
}

void DeliveryPosition::Seed(const Position& saved) {
  absl::MutexLock lock(&mu_);
  Raise(&position_, saved.newest_id, saved.read_at);
}

void DeliveryPosition::Hold() {
  absl::MutexLock lock(&mu_);
  if (barrier_ == UINT64_MAX) barrier_ = next_;
}

void DeliveryPosition::Release() {
  absl::MutexLock lock(&mu_);
  barrier_ = UINT64_MAX;
  Raise(&position_, held_.newest_id, held_.read_at);
  held_ = Position{};
}

bool DeliveryPosition::held() const {
  absl::MutexLock lock(&mu_);
  return barrier_ != UINT64_MAX;
}

DeliveryPosition::Position DeliveryPosition::Get() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

void DeliveryPosition::Touch(absl::Time at) {
  absl::MutexLock lock(&mu_);
  if (entries_.empty() && barrier_ == UINT64_MAX && at > position_.read_at) position_.read_at = at;
}

absl::Status DeliveryPosition::failure() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

int64_t DeliveryPosition::outstanding() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size());
}

}  // namespace tweetstream::source
