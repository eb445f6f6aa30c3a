#include "controlplane/ctl/output.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "controlplane/config/config_file.h"

namespace causeway::ctl {

void AddOutputOption(CLI::App& command, Format& format) {
  command
      .add_option("-o,--output", format, "output format: table (default), json or yaml")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{
              {"table", Format::kTable}, {"json", Format::kJson}, {"yaml", Format::kYaml}},
          CLI::ignore_case));
}

void PrintMessage(const google::protobuf::Message& message, Format format, std::ostream& out) {
  if (format == Format::kJson) {
    out << config::ToJson(message, /*pretty=*/true);
    return;
  }
  out << config::ToYaml(message);
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string EffectiveEnumName(const google::protobuf::EnumDescriptor& type, int value) {
  const google::protobuf::EnumValueDescriptor* v = type.FindValueByNumber(value);
  if (value == 0 && type.FindValueByNumber(1) != nullptr) v = type.FindValueByNumber(1);
  return v != nullptr ? v->name() : absl::StrCat(value);
}

}  // namespace causeway::ctl
