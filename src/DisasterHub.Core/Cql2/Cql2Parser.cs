using System.Globalization;
using System.Text;

namespace DisasterHub.Core.Cql2;

/// <summary>
/// CQL2 text (OGC 21-065) → <see cref="Cql2Node"/>, by recursive descent. Pure: no I/O, no knowledge of properties
/// (which names exist and who may filter on them is the SQL translation's business). Covers basic CQL2 (comparison,
/// AND/OR/NOT, IS NULL), advanced comparison (LIKE, BETWEEN, IN), the temporal functions T_INTERSECTS/T_BEFORE/T_AFTER
/// with TIMESTAMP/DATE/INTERVAL literals, and the spatial functions (S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES) with
/// WKT or BBOX literals. Keywords are case-insensitive; a property may be double-quoted.
/// </summary>
/// <remarks>
/// Grammar (precedence low to high):
/// <code>
/// or      := and { OR and }
/// and     := not { AND not }
/// not     := NOT not | primary
/// primary := '(' or ')' | TRUE | FALSE | T_xxx '(' operand ',' operand ')' | S_xxx '(' operand ',' operand ')' | predicate
/// predicate := operand ( cmp operand | [NOT] LIKE operand | [NOT] BETWEEN operand AND operand
///                      | [NOT] IN '(' operand { ',' operand } ')' | IS [NOT] NULL )
/// </code>
/// </remarks>
public sealed class Cql2Parser
{
    public const int MaxLength = 4096;
    private const int MaxDepth = 64;

    public static readonly IReadOnlySet<string> TemporalFunctions = new HashSet<string>(StringComparer.Ordinal) { "T_INTERSECTS", "T_BEFORE", "T_AFTER" };
    public static readonly IReadOnlySet<string> SpatialFunctions = new HashSet<string>(StringComparer.Ordinal) { "S_INTERSECTS", "S_WITHIN", "S_CONTAINS", "S_DISJOINT", "S_EQUALS", "S_TOUCHES", "S_OVERLAPS", "S_CROSSES" };
    private static readonly HashSet<string> GeometryKeywords = new(StringComparer.Ordinal)
        { "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION" };
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
        { "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE" };

    private readonly List<Token> _tokens;
    private int _i;
    private int _depth;

    private Cql2Parser(string text)
    {
        _tokens = Lex(text);
    }

    /// <summary>Parses a whole filter; throws <see cref="Cql2Exception"/> naming the position of the first fault.</summary>
    public static Cql2Node Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength) throw new Cql2Exception($"filter is longer than {MaxLength} characters", MaxLength + 1);
        if (string.IsNullOrWhiteSpace(text)) throw new Cql2Exception("filter is empty", 1);
        var p = new Cql2Parser(text);
        var node = p.ParseOr();
        if (p.Peek.Kind != TokenKind.End) throw p.Error($"unexpected {p.Describe(p.Peek)}");
        return node;
    }

    private enum TokenKind { Word, QuotedName, String, Number, Op, LParen, RParen, Comma, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position)
    {
        public string Upper => Text.ToUpperInvariant();
    }

    private Token Peek => _tokens[_i];

    private Token Ahead => _tokens[Math.Min(_i + 1, _tokens.Count - 1)];

    private Token Next() => _tokens[_i < _tokens.Count - 1 ? _i++ : _i];

    private bool IsWord(string upper) => Peek.Kind == TokenKind.Word && Peek.Upper == upper;

    private bool TakeWord(string upper)
    {
        if (!IsWord(upper)) return false;
        _i++;
        return true;
    }

    private Cql2Exception Error(string message, Token? at = null)
    {
        var pos = (at ?? Peek).Position;
        return new Cql2Exception($"{message} at position {pos}", pos);
    }

    private string Describe(Token t) => t.Kind switch
    {
        TokenKind.End => "end of filter",
        TokenKind.String => $"string '{t.Text}'",
        _ => $"'{t.Text}'",
    };

    private void Expect(TokenKind kind, string what)
    {
        if (Peek.Kind != kind) throw Error($"expected {what} but found {Describe(Peek)}");
        _i++;
    }

    private Cql2Node ParseOr()
    {
        if (++_depth > MaxDepth) throw Error($"filter is nested deeper than {MaxDepth}");
        var left = ParseAnd();
        while (IsWord("OR"))
        {
            var at = Next().Position;
            left = new Cql2Or(left, ParseAnd(), at);
        }
        _depth--;
        return left;
    }

    private Cql2Node ParseAnd()
    {
        var left = ParseNot();
        while (IsWord("AND"))
        {
            var at = Next().Position;
            left = new Cql2And(left, ParseNot(), at);
        }
        return left;
    }

    private Cql2Node ParseNot()
    {
        if (IsWord("NOT"))
        {
            var at = Next().Position;
            if (++_depth > MaxDepth) throw Error($"filter is nested deeper than {MaxDepth}");
            var operand = ParseNot();
            _depth--;
            return new Cql2Not(operand, at);
        }
        return ParsePrimary();
    }

    private Cql2Node ParsePrimary()
    {
        var t = Peek;
        if (t.Kind == TokenKind.LParen)
        {
            _i++;
            var inner = ParseOr();
            Expect(TokenKind.RParen, "')'");
            return inner;
        }
        if (t.Kind == TokenKind.Word && Ahead.Kind == TokenKind.LParen && (TemporalFunctions.Contains(t.Upper) || SpatialFunctions.Contains(t.Upper)))
        {
            _i += 2;
            var a = ParseOperand();
            Expect(TokenKind.Comma, "','");
            var b = ParseOperand();
            Expect(TokenKind.RParen, "')'");
            return TemporalFunctions.Contains(t.Upper) ? new Cql2Temporal(t.Upper, a, b, t.Position) : new Cql2Spatial(t.Upper, a, b, t.Position);
        }
        if (t.Kind == TokenKind.Word && Ahead.Kind == TokenKind.LParen && (t.Upper.StartsWith("T_", StringComparison.Ordinal) || t.Upper.StartsWith("S_", StringComparison.Ordinal) || t.Upper.StartsWith("A_", StringComparison.Ordinal)))
            throw Error($"unsupported function '{t.Text}'", t);
        if ((t.Upper is "TRUE" or "FALSE") && t.Kind == TokenKind.Word && !IsPredicateOperator(Ahead))
        {
            _i++;
            return new Cql2BoolPredicate(t.Upper == "TRUE", t.Position);
        }
        return ParsePredicate();
    }

    private static bool IsPredicateOperator(Token t) =>
        t.Kind == TokenKind.Op || (t.Kind == TokenKind.Word && t.Upper is "LIKE" or "BETWEEN" or "IN" or "IS" or "NOT");

    private Cql2Node ParsePredicate()
    {
        var left = ParseOperand();
        var op = Peek;
        if (op.Kind == TokenKind.Op)
        {
            _i++;
            return new Cql2Comparison(left, op.Text, ParseOperand(), op.Position);
        }
        if (TakeWord("IS"))
        {
            var negated = TakeWord("NOT");
            if (!TakeWord("NULL")) throw Error($"expected NULL but found {Describe(Peek)}");
            return new Cql2IsNull(left, negated, op.Position);
        }
        var not = TakeWord("NOT");
        if (TakeWord("LIKE")) return new Cql2Like(left, ParseOperand(), not, op.Position);
        if (TakeWord("BETWEEN"))
        {
            var low = ParseOperand();
            if (!TakeWord("AND")) throw Error($"expected AND in BETWEEN but found {Describe(Peek)}");
            return new Cql2Between(left, low, ParseOperand(), not, op.Position);
        }
        if (TakeWord("IN"))
        {
            Expect(TokenKind.LParen, "'(' after IN");
            var list = new List<Cql2Expr> { ParseOperand() };
            while (Peek.Kind == TokenKind.Comma)
            {
                _i++;
                list.Add(ParseOperand());
            }
            Expect(TokenKind.RParen, "')' closing the IN list");
            return new Cql2In(left, list, not, op.Position);
        }
        throw Error($"expected a comparison operator, LIKE, BETWEEN, IN or IS but found {Describe(Peek)}");
    }

    private Cql2Expr ParseOperand()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.String: return new Cql2String(t.Text, t.Position);
            case TokenKind.Number:
                return decimal.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? new Cql2Number(d, t.Position)
                    : throw Error($"number '{t.Text}' is out of range", t);
            case TokenKind.QuotedName: return new Cql2Property(t.Text, t.Position);
            case TokenKind.Word:
                var u = t.Upper;
                if (u is "TRUE" or "FALSE") return new Cql2Bool(u == "TRUE", t.Position);
                if (Peek.Kind == TokenKind.LParen)
                {
                    if (u == "TIMESTAMP") return new Cql2Timestamp(Instant(OneString(), t), t.Position);
                    if (u == "DATE")
                    {
                        var s = OneString();
                        return DateOnly.TryParseExact(s.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                            ? new Cql2Date(day, t.Position)
                            : throw Error($"DATE needs 'YYYY-MM-DD', not '{s.Text}'", s);
                    }
                    if (u == "INTERVAL") return Interval(t);
                    if (u == "BBOX") return Bbox(t);
                    if (GeometryKeywords.Contains(u)) return Geometry(t);
                    throw Error($"unknown function '{t.Text}'", t);
                }
                if (Reserved.Contains(u)) throw Error($"expected a property or a value but found '{t.Text}'", t);
                return new Cql2Property(t.Text, t.Position);
            default:
                throw Error($"expected a property or a value but found {Describe(t)}", t);
        }
    }

    private Token OneString()
    {
        Expect(TokenKind.LParen, "'('");
        var s = Next();
        if (s.Kind != TokenKind.String) throw Error($"expected a quoted string but found {Describe(s)}", s);
        Expect(TokenKind.RParen, "')'");
        return s;
    }

    private DateTimeOffset Instant(Token s, Token fn)
    {
        if (s.Text.Length >= 11 && (s.Text[^1] is 'Z' or 'z' || s.Text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(s.Text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var v)
            && s.Text.Contains('T', StringComparison.OrdinalIgnoreCase))
            return v;
        throw Error($"{fn.Upper} needs an RFC 3339 instant with a zone (2026-11-22T09:00:00Z), not '{s.Text}'", s);
    }

    private Cql2Interval Interval(Token fn)
    {
        Expect(TokenKind.LParen, "'('");
        var a = Next();
        Expect(TokenKind.Comma, "','");
        var b = Next();
        Expect(TokenKind.RParen, "')'");
        return new Cql2Interval(End(a, fn), End(b, fn), fn.Position);
    }

    private DateTimeOffset? End(Token t, Token fn)
    {
        if (t.Kind != TokenKind.String) throw Error($"expected a quoted instant or '..' but found {Describe(t)}", t);
        if (t.Text == "..") return null;
        if (DateOnly.TryParseExact(t.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return Instant(t, fn);
    }

    private Cql2Bbox Bbox(Token fn)
    {
        Expect(TokenKind.LParen, "'('");
        var n = new List<double>();
        while (true)
        {
            var t = Next();
            if (t.Kind != TokenKind.Number || !double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw Error($"BBOX needs numbers but found {Describe(t)}", t);
            n.Add(v);
            if (Peek.Kind == TokenKind.Comma) { _i++; continue; }
            Expect(TokenKind.RParen, "')' closing BBOX");
            break;
        }
        if (n.Count == 6) n = [n[0], n[1], n[3], n[4]];
        if (n.Count != 4) throw Error("BBOX needs 4 numbers (minLon, minLat, maxLon, maxLat)", fn);
        if (n[0] > n[2] || n[1] > n[3]) throw Error("BBOX minimum is above its maximum", fn);
        return new Cql2Bbox(n[0], n[1], n[2], n[3], fn.Position);
    }

    /// <summary>
    /// A WKT literal: the keyword and its balanced parentheses of numbers and commas, re-written canonically (the
    /// database reads it as a parameter). Its structure (ring closure, point counts) is the database's to judge.
    /// </summary>
    private Cql2Geometry Geometry(Token keyword)
    {
        var sb = new StringBuilder(keyword.Upper);
        GeometryBody(sb, keyword.Upper, keyword);
        return new Cql2Geometry(sb.ToString(), keyword.Position);
    }

    private void GeometryBody(StringBuilder sb, string kind, Token keyword)
    {
        if (kind == "GEOMETRYCOLLECTION")
        {
            Expect(TokenKind.LParen, "'(' after GEOMETRYCOLLECTION");
            sb.Append('(');
            while (true)
            {
                var k = Next();
                if (k.Kind != TokenKind.Word || !GeometryKeywords.Contains(k.Upper)) throw Error($"expected a geometry but found {Describe(k)}", k);
                sb.Append(k.Upper);
                GeometryBody(sb, k.Upper, k);
                if (Peek.Kind == TokenKind.Comma) { _i++; sb.Append(','); continue; }
                Expect(TokenKind.RParen, "')'");
                sb.Append(')');
                return;
            }
        }
        var depth = kind switch { "POINT" => 1, "LINESTRING" or "MULTIPOINT" => 1, "POLYGON" or "MULTILINESTRING" => 2, _ => 3 };
        if (kind == "MULTIPOINT" && Ahead.Kind == TokenKind.LParen) depth = 2; // MULTIPOINT((1 2),(3 4))
        CoordinateList(sb, depth, keyword);
    }

    private void CoordinateList(StringBuilder sb, int depth, Token keyword)
    {
        Expect(TokenKind.LParen, $"'(' in {keyword.Upper}");
        sb.Append('(');
        while (true)
        {
            if (depth > 1) CoordinateList(sb, depth - 1, keyword);
            else
            {
                var count = 0;
                while (Peek.Kind == TokenKind.Number)
                {
                    var t = Next();
                    if (!double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) throw Error($"bad coordinate '{t.Text}'", t);
                    if (count++ > 0) sb.Append(' ');
                    sb.Append(v.ToString("R", CultureInfo.InvariantCulture));
                }
                if (count is < 2 or > 3) throw Error($"a position in {keyword.Upper} needs 2 or 3 numbers", Peek);
            }
            if (Peek.Kind == TokenKind.Comma) { _i++; sb.Append(','); continue; }
            Expect(TokenKind.RParen, $"')' in {keyword.Upper}");
            sb.Append(')');
            return;
        }
    }

    private static List<Token> Lex(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var pos = i + 1;
            if (char.IsWhiteSpace(c)) { i++; continue; }
            switch (c)
            {
                case '(': tokens.Add(new(TokenKind.LParen, "(", pos)); i++; continue;
                case ')': tokens.Add(new(TokenKind.RParen, ")", pos)); i++; continue;
                case ',': tokens.Add(new(TokenKind.Comma, ",", pos)); i++; continue;
                case '=': tokens.Add(new(TokenKind.Op, "=", pos)); i++; continue;
                case '<':
                    var lt = i + 1 < s.Length && s[i + 1] is '=' or '>' ? "<" + s[i + 1] : "<";
                    tokens.Add(new(TokenKind.Op, lt, pos)); i += lt.Length; continue;
                case '>':
                    var gt = i + 1 < s.Length && s[i + 1] == '=' ? ">=" : ">";
                    tokens.Add(new(TokenKind.Op, gt, pos)); i += gt.Length; continue;
                case '\'':
                case '"':
                {
                    var sb = new StringBuilder();
                    var j = i + 1;
                    while (true)
                    {
                        if (j >= s.Length) throw new Cql2Exception($"unterminated {(c == '\'' ? "string" : "quoted property name")} starting at position {pos}", pos);
                        if (s[j] == c)
                        {
                            if (j + 1 < s.Length && s[j + 1] == c) { sb.Append(c); j += 2; continue; }
                            break;
                        }
                        sb.Append(s[j++]);
                    }
                    tokens.Add(new(c == '\'' ? TokenKind.String : TokenKind.QuotedName, sb.ToString(), pos));
                    i = j + 1;
                    continue;
                }
            }
            if (char.IsDigit(c) || ((c is '-' or '+' or '.') && i + 1 < s.Length && (char.IsDigit(s[i + 1]) || s[i + 1] == '.')))
            {
                var j = i + 1;
                while (j < s.Length && (char.IsDigit(s[j]) || s[j] == '.' || ((s[j] is 'e' or 'E') && j + 1 < s.Length) || ((s[j] is '+' or '-') && s[j - 1] is 'e' or 'E'))) j++;
                tokens.Add(new(TokenKind.Number, s[i..j], pos));
                i = j;
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                var j = i + 1;
                while (j < s.Length && (char.IsLetterOrDigit(s[j]) || s[j] is '_' or '.' or ':')) j++;
                tokens.Add(new(TokenKind.Word, s[i..j], pos));
                i = j;
                continue;
            }
            throw new Cql2Exception($"unexpected character '{c}' at position {pos}", pos);
        }
        tokens.Add(new(TokenKind.End, "", s.Length + 1));
        return tokens;
    }
}
