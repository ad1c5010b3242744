#include "tools/tweetctl/table.h"

#include <algorithm>

namespace tweetstream::tweetctl {

namespace {

// "120", "-1", "3.5": right-aligned so that digits line up.
bool IsNumber(const std::string& cell) {
  if (cell.empty()) return false;
  size_t i = (cell[0] == '-') ? 1 : 0;
  if (i == cell.size()) return false;
  for (; i < cell.size(); ++i) {
    if ((cell[i] < '0' || cell[i] > '9') && cell[i] != '.') return false;
  }
  return true;
}

}  // namespace

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) {
  if (cells.size() < header_.size()) cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

void Table::Render(std::ostream& out) const {
  size_t columns = header_.size();
  for (const auto& row : rows_) columns = std::max(columns, row.size());
  std::vector<size_t> width(columns, 0);
  // A column whose non-empty cells are all numbers is right-aligned, its header included.
  std::vector<bool> numeric(columns, true), any(columns, false);
  const bool has_header = std::any_of(header_.begin(), header_.end(), [](const std::string& h) { return !h.empty(); });
  if (has_header) {
    for (size_t i = 0; i < header_.size(); ++i) width[i] = header_[i].size();
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
      if (row[i].empty() || row[i] == "-") continue;
      any[i] = true;
      if (!IsNumber(row[i])) numeric[i] = false;
    }
  }
  for (size_t column : left_) {
    if (column < columns) numeric[column] = false;
  }
  auto write = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(width[i] - row[i].size(), ' ');
      if (numeric[i] && any[i]) {
        line += pad + row[i];
      } else {
        line += row[i] + pad;
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  if (has_header) write(header_);
  for (const auto& row : rows_) write(row);
}

}  // namespace tweetstream::tweetctl
