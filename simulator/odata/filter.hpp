// $filter as OData V4 clients write it (SAP Cloud SDK wraps every filter in parentheses; public
// clients use or, not, in, contains): a boolean expression of comparisons (eq ne gt ge lt le, in),
// string functions (contains, startswith, endswith; tolower and toupper of a property), and, or, not
// and parentheses, null. Every literal is checked against its property's type when the filter is read,
// so a filter that parses is one the service can evaluate. Lambdas (any/all), arithmetic and other
// functions are refused with a message that names them. A peer reaches this parser: fuzzed
// (tests/fuzz/fuzz_odata_filter.cpp), and nesting is bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulator/odata/values.hpp"

namespace ato::sim {

class ODataFilter {
 public:
  enum class Op { Eq, Ne, Gt, Ge, Lt, Le };
  enum class Kind { Or, And, Not, Compare, In, Contains, StartsWith, EndsWith, IsTrue };
  enum class TextCase { AsIs, Lower, Upper };
  // One side of a comparison: a property (maybe lower- or upper-cased) or a typed literal.
  struct Operand {
    bool is_property = false;
    std::size_t property = 0;
    TextCase text_case = TextCase::AsIs;
    ODataValue literal;
  };
  struct Node {
    Kind kind = Kind::Compare;
    Op op = Op::Eq;
    std::size_t first = 0, second = 0;  // Or, And: both children; Not: first
    Operand left, right;                // Compare, Contains, ...; IsTrue: left
    std::vector<ODataValue> set;        // In
  };

  // What an entity must satisfy; the nodes are the parsed tree, `root` its top.
  bool matches(const ODataEntity& entity) const { return evaluate(root_, entity); }

  static constexpr int kMaxDepth = 200;
  // The filter, or what is wrong with it in words (for a 400 naming $filter).
  static std::variant<ODataFilter, std::string> parse(std::string_view text,
                                                      const std::vector<ODataProperty>& properties);

 private:
  bool evaluate(std::size_t node, const ODataEntity& entity) const;

  std::vector<Node> nodes_;
  std::size_t root_ = 0;
  friend class FilterParser;
};

}  // namespace ato::sim
