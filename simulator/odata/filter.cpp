#include "simulator/odata/filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace ato::sim {
namespace {

struct Token {
  enum class Kind { Word, Quoted, Open, Close, Comma, End } kind = Kind::End;
  std::string_view text;
};

bool ends_word(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ',' || c == '\'';
}

// Words (names, keywords, bare literals), quoted strings, parentheses and commas.
std::variant<std::vector<Token>, std::string> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')' || c == ',') {
      tokens.push_back({c == '('   ? Token::Kind::Open
                        : c == ')' ? Token::Kind::Close
                                   : Token::Kind::Comma,
                        text.substr(i, 1)});
      ++i;
    } else if (c == '\'') {
      std::size_t end = i + 1;
      for (;;) {
        if (end >= text.size()) return std::string("a quoted string is not closed");
        if (text[end] == '\'') {
          if (end + 1 < text.size() && text[end + 1] == '\'') {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      tokens.push_back({Token::Kind::Quoted, text.substr(i, end + 1 - i)});
      i = end + 1;
    } else {
      std::size_t end = i;
      while (end < text.size() && !ends_word(text[end])) ++end;
      tokens.push_back({Token::Kind::Word, text.substr(i, end - i)});
      i = end;
    }
  }
  tokens.push_back({Token::Kind::End, {}});
  return tokens;
}

std::optional<ODataFilter::Op> comparison(std::string_view word) {
  using Op = ODataFilter::Op;
  if (word == "eq") return Op::Eq;
  if (word == "ne") return Op::Ne;
  if (word == "gt") return Op::Gt;
  if (word == "ge") return Op::Ge;
  if (word == "lt") return Op::Lt;
  if (word == "le") return Op::Le;
  return std::nullopt;
}

bool is_text(ODataType type) {
  return type == ODataType::String;
}

struct Failure {
  std::string message;
};

}  // namespace

// Recursive descent over the tokens: or > and > not > comparison; each level one method.
class FilterParser {
 public:
  FilterParser(std::vector<Token> tokens, const std::vector<ODataProperty>& properties, ODataFilter& out)
      : tokens_(std::move(tokens)), properties_(properties), out_(out) {}

  std::size_t parse_all() {
    const auto root = parse_or(0);
    if (peek().kind != Token::Kind::End) fail(fmt::format("unexpected '{}'", peek().text));
    return root;
  }

 private:
  using Kind = ODataFilter::Kind;
  using Node = ODataFilter::Node;
  using Operand = ODataFilter::Operand;

  // An operand as written, before the other side says its type.
  struct Written {
    std::optional<Operand> property;
    Token literal;
  };

  [[noreturn]] static void fail(std::string message) { throw Failure{std::move(message)}; }

  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  Token take() {
    const Token t = peek();
    if (next_ < tokens_.size() - 1) ++next_;
    return t;
  }
  bool take_word(std::string_view word) {
    if (peek().kind != Token::Kind::Word || peek().text != word) return false;
    take();
    return true;
  }
  void expect(Token::Kind kind, std::string_view what) {
    if (peek().kind != kind)
      fail(peek().kind == Token::Kind::End ? fmt::format("expected {} at the end", what)
                                           : fmt::format("expected {} before '{}'", what, peek().text));
    take();
  }
  std::size_t add(Node node) {
    out_.nodes_.push_back(std::move(node));
    return out_.nodes_.size() - 1;
  }
  static void check_depth(int depth) {
    if (depth > ODataFilter::kMaxDepth)
      fail(fmt::format("nested deeper than {} levels", ODataFilter::kMaxDepth));
  }

  // A chain `a <word> b <word> c` of `kind`, grouped from the left; each operand read by `operand`.
  template <typename ReadOperand>
  std::size_t parse_chain(std::string_view word, Kind kind, ReadOperand&& operand) {
    auto left = operand();
    while (take_word(word)) {
      Node node{kind};
      node.first = left;
      node.second = operand();
      left = add(std::move(node));
    }
    return left;
  }

  std::size_t parse_or(int depth) {
    check_depth(depth);
    return parse_chain("or", Kind::Or, [&] { return parse_and(depth + 1); });
  }

  std::size_t parse_and(int depth) {
    return parse_chain("and", Kind::And, [&] { return parse_unary(depth + 1); });
  }

  std::size_t parse_unary(int depth) {
    check_depth(depth);
    if (take_word("not")) {
      Node node{Kind::Not};
      node.first = parse_unary(depth + 1);
      return add(std::move(node));
    }
    if (peek().kind == Token::Kind::Open) {
      take();
      const auto inner = parse_or(depth + 1);
      expect(Token::Kind::Close, "')'");
      return inner;
    }
    if (peek().kind == Token::Kind::Word && peek(1).kind == Token::Kind::Open) {
      const auto name = peek().text;
      if (name == "contains" || name == "startswith" || name == "endswith") return parse_text_function();
      if (name != "tolower" && name != "toupper")
        fail(
            fmt::format("the function {} is not supported (contains, startswith, endswith, tolower, "
                        "toupper are)",
                        name));
    }
    return parse_comparison();
  }

  std::size_t parse_text_function() {
    const auto name = take().text;
    take();  // (
    Node node{name == "contains" ? Kind::Contains : name == "startswith" ? Kind::StartsWith : Kind::EndsWith};
    const auto subject = parse_operand();
    if (!subject.property || !is_text(properties_[subject.property->property].type))
      fail(fmt::format("{}: the first argument must be a text property", name));
    expect(Token::Kind::Comma, "','");
    const auto needle = take();
    if (needle.kind != Token::Kind::Quoted)
      fail(fmt::format("{}: the second argument must be a quoted string", name));
    expect(Token::Kind::Close, "')'");
    node.left = *subject.property;
    node.right.literal = typed(needle, ODataType::String, name);
    return add(std::move(node));
  }

  std::size_t parse_comparison() {
    const auto left = parse_operand();
    if (peek().kind == Token::Kind::Word) {
      if (const auto op = comparison(peek().text)) {
        take();
        const auto right = parse_operand();
        Node node{Kind::Compare};
        node.op = *op;
        if (left.property) {
          node.left = *left.property;
          node.right = right.property ? *right.property : literal_for(right.literal, *left.property);
        } else if (right.property) {
          node.left = literal_for(left.literal, *right.property);
          node.right = *right.property;
        } else {
          fail(fmt::format("'{} {} {}' compares two literals: name a property", left.literal.text,
                           comparison_name(*op), right.literal.text));
        }
        check_comparable(node);
        return add(std::move(node));
      }
      if (peek().text == "in") {
        take();
        if (!left.property) fail("'in' needs a property on its left");
        Node node{Kind::In};
        node.left = *left.property;
        expect(Token::Kind::Open, "'(' after in");
        for (;;) {
          const auto item = take();
          if (item.kind != Token::Kind::Word && item.kind != Token::Kind::Quoted)
            fail("in: expected a list of literals, e.g. ('A','B')");
          node.set.push_back(literal_for(item, *left.property).literal);
          if (peek().kind == Token::Kind::Comma) {
            take();
            continue;
          }
          expect(Token::Kind::Close, "')' closing the in list");
          break;
        }
        return add(std::move(node));
      }
    }
    if (left.property && properties_[left.property->property].type == ODataType::Boolean) {
      Node node{Kind::IsTrue};
      node.left = *left.property;
      return add(std::move(node));
    }
    const auto shown =
        left.property ? properties_[left.property->property].name : std::string(left.literal.text);
    if (peek().kind == Token::Kind::End) fail(fmt::format("expected a comparison after '{}'", shown));
    fail(fmt::format("expected eq, ne, gt, ge, lt, le or in after '{}', got '{}'", shown, peek().text));
  }

  Written parse_operand() {
    const auto t = take();
    if (t.kind == Token::Kind::Quoted) return {std::nullopt, t};
    if (t.kind != Token::Kind::Word)
      fail(t.kind == Token::Kind::End ? std::string("the filter ends where a value is expected")
                                      : fmt::format("expected a property or a value before '{}'", t.text));
    if ((t.text == "tolower" || t.text == "toupper") && peek().kind == Token::Kind::Open) {
      take();
      const auto inner = take();
      const auto index =
          inner.kind == Token::Kind::Word ? property_index(properties_, inner.text) : std::nullopt;
      if (!index || !is_text(properties_[*index].type))
        fail(fmt::format("{}: the argument must be a text property", t.text));
      expect(Token::Kind::Close, "')'");
      Operand operand = property_operand(*index);
      operand.text_case = t.text == "tolower" ? ODataFilter::TextCase::Lower : ODataFilter::TextCase::Upper;
      return {operand, {}};
    }
    if (const auto index = property_index(properties_, t.text)) return {property_operand(*index), {}};
    const bool looks_like_name = std::isalpha(static_cast<unsigned char>(t.text.front())) &&
                                 t.text != "null" && t.text != "true" && t.text != "false" &&
                                 !is_guid(t.text) && !std::all_of(t.text.begin(), t.text.end(), [](char c) {
                                   return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
                                 });
    if (looks_like_name) {
      if (t.text.find('/') != std::string_view::npos)
        fail(fmt::format("'{}': paths and lambdas (any, all) are not supported", t.text));
      fail(fmt::format("no property '{}'", t.text));
    }
    return {std::nullopt, t};
  }

  Operand property_operand(std::size_t index) {
    if (!properties_[index].filterable)
      fail(fmt::format("'{}' cannot be filtered on", properties_[index].name));
    Operand operand;
    operand.is_property = true;
    operand.property = index;
    return operand;
  }

  ODataValue typed(const Token& literal, ODataType type, std::string_view for_what) {
    auto value = parse_literal(literal.text, type);
    if (!value) fail(fmt::format("'{}': expected {} for {}", literal.text, literal_form(type), for_what));
    return *value;
  }

  Operand literal_for(const Token& literal, const Operand& property) {
    const auto& p = properties_[property.property];
    Operand operand;
    operand.literal = typed(literal, p.type, p.name);
    return operand;
  }

  void check_comparable(const Node& node) {
    if (node.left.is_property && node.right.is_property &&
        properties_[node.left.property].type != properties_[node.right.property].type)
      fail(fmt::format("'{}' and '{}' have different types", properties_[node.left.property].name,
                       properties_[node.right.property].name));
    const auto& property = node.left.is_property ? node.left : node.right;
    const auto type = properties_[property.property].type;
    const bool ordered = node.op != ODataFilter::Op::Eq && node.op != ODataFilter::Op::Ne;
    if (ordered && type == ODataType::Boolean)
      fail(fmt::format("'{}' is true or false: only eq and ne compare it",
                       properties_[property.property].name));
  }

  static std::string_view comparison_name(ODataFilter::Op op) {
    constexpr std::string_view kNames[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    return kNames[static_cast<int>(op)];
  }

  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  const std::vector<ODataProperty>& properties_;
  ODataFilter& out_;
};

std::variant<ODataFilter, std::string> ODataFilter::parse(std::string_view text,
                                                          const std::vector<ODataProperty>& properties) {
  auto tokens = tokenize(text);
  if (auto* problem = std::get_if<std::string>(&tokens)) return *problem;
  if (std::get<std::vector<Token>>(tokens).size() == 1) return std::string("the filter is empty");
  ODataFilter filter;
  try {
    FilterParser parser(std::move(std::get<std::vector<Token>>(tokens)), properties, filter);
    filter.root_ = parser.parse_all();
  } catch (const Failure& failure) {
    return failure.message;
  }
  return filter;
}

namespace {

ODataValue value_of(const ODataFilter::Operand& operand, const ODataEntity& entity) {
  if (!operand.is_property) return operand.literal;
  ODataValue value = entity[operand.property];
  if (operand.text_case != ODataFilter::TextCase::AsIs)
    if (auto* text = std::get_if<std::string>(&value))
      for (auto& c : *text)
        c = static_cast<char>(operand.text_case == ODataFilter::TextCase::Lower
                                  ? std::tolower(static_cast<unsigned char>(c))
                                  : std::toupper(static_cast<unsigned char>(c)));
  return value;
}

bool compare(ODataFilter::Op op, const ODataValue& a, const ODataValue& b) {
  using Op = ODataFilter::Op;
  if (op == Op::Eq) return a == b;
  if (op == Op::Ne) return a != b;
  // Ordering with null is false, as OData says.
  if (std::holds_alternative<std::monostate>(a) || std::holds_alternative<std::monostate>(b)) return false;
  if (a.index() != b.index()) return false;
  switch (op) {
    case Op::Gt:
      return b < a;
    case Op::Ge:
      return !(a < b);
    case Op::Lt:
      return a < b;
    default:
      return !(b < a);
  }
}

}  // namespace

bool ODataFilter::evaluate(std::size_t index, const ODataEntity& entity) const {
  const Node& node = nodes_[index];
  switch (node.kind) {
    case Kind::Or:
      return evaluate(node.first, entity) || evaluate(node.second, entity);
    case Kind::And:
      return evaluate(node.first, entity) && evaluate(node.second, entity);
    case Kind::Not:
      return !evaluate(node.first, entity);
    case Kind::Compare:
      return compare(node.op, value_of(node.left, entity), value_of(node.right, entity));
    case Kind::In: {
      const auto value = value_of(node.left, entity);
      return std::find(node.set.begin(), node.set.end(), value) != node.set.end();
    }
    case Kind::IsTrue:
      return value_of(node.left, entity) == ODataValue{true};
    case Kind::Contains:
    case Kind::StartsWith:
    case Kind::EndsWith: {
      const auto value = value_of(node.left, entity);
      const auto* text = std::get_if<std::string>(&value);
      const auto* needle = std::get_if<std::string>(&node.right.literal);
      if (!text || !needle) return false;
      if (node.kind == Kind::Contains) return text->find(*needle) != std::string::npos;
      if (node.kind == Kind::StartsWith) return text->starts_with(*needle);
      return text->ends_with(*needle);
    }
  }
  return false;
}

}  // namespace ato::sim
