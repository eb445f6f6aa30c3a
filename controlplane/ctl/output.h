// How commands print: aligned tables for people, the proto messages as JSON or YAML for programs.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_OUTPUT_H_
#define CAUSEWAY_CONTROLPLANE_CTL_OUTPUT_H_

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

namespace causeway::ctl {

enum class Format { kTable, kJson, kYaml };

// Adds `-o, --output table|json|yaml` to a command.
void AddOutputOption(CLI::App& command, Format& format);

// The whole message, in the JSON or YAML form config files use (pretty JSON). For kTable the caller
// prints its own table; this prints YAML.
void PrintMessage(const google::protobuf::Message& message, Format format, std::ostream& out);

// `print_table` for kTable, else the message as JSON or YAML.
template <typename Message>
void PrintAs(const Message& message, Format format, std::ostream& out,
             void (*print_table)(const Message&, std::ostream&)) {
  if (format == Format::kTable) {
    print_table(message, out);
  } else {
    PrintMessage(message, format, out);
  }
}

// Columns padded to their widest cell, two spaces apart; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// An enum value's name, with the schema's convention that 0 (X_UNSPECIFIED) means the value numbered
// 1 (GLOBAL, NONE, DEFAULT, IPIP): tables show what the server will do, not "unspecified".
std::string EffectiveEnumName(const google::protobuf::EnumDescriptor& type, int value);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_OUTPUT_H_
