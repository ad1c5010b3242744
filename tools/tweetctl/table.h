#pragma once
// An aligned text table for tweetctl's human-readable output:
//   Table t({"PARTITION", "COMMITTED", "LAG"});
//   t.AddRow({"0", "120", "3"});
//   t.Render(std::cout);
// Columns are separated by two spaces; numeric cells are right-aligned, everything else left-aligned;
// no trailing whitespace. Not thread-safe (one table per output).

#include <ostream>
#include <string>
#include <vector>

namespace tweetstream::tweetctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // A row with fewer cells than the header is padded with empty cells; extra cells are kept.
  void AddRow(std::vector<std::string> cells);
  // Keeps `column` left-aligned even when it holds only digits (ids are names, not quantities).
  void AlignLeft(size_t column) { left_.push_back(column); }
  bool empty() const { return rows_.empty(); }

  // Writes the header (unless it is empty) and the rows.
  void Render(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> left_;
};

}  // namespace tweetstream::tweetctl
