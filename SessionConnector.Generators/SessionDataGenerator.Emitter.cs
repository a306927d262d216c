using System;
using System.Collections.Generic;
using System.Linq;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

public sealed partial class SessionDataGenerator
{
    /// <summary>
    /// Turns a <see cref="SessionTypeModel"/> into C#. The file holds only what is particular to the type (its keys,
    /// how it is constructed); every value is encoded by a runtime codec the emitter names (<see cref="Codec"/>, the
    /// encoding table documented in docs/session-data-format.md), so NativeAOT compiles each encoding once per app.
    /// </summary>
    internal static class Emitter
    {
        private const string Runtime = "global::SessionConnector.Generated.SessionDataRuntime";
        private const string Codecs = "global::SessionConnector.Generated.SessionCodecs";
        private const string Writer = "global::MessagePack.MessagePackWriter";
        private const string Reader = "global::MessagePack.MessagePackReader";
        private const string JsonWriter = "global::System.Text.Json.Utf8JsonWriter";
        private const string JsonReader = "global::System.Text.Json.Utf8JsonReader";
        private const string JsonToken = "global::System.Text.Json.JsonTokenType";

        /// <summary>
        /// The encoding table: the runtime codec for each shape. Scalars map by name (<c>Int32</c> →
        /// <c>Int32Codec</c>); composites take their element's type and codec as type arguments.
        /// </summary>
        internal static string Codec(TypeShape shape) => shape.Kind switch
        {
            ShapeKind.Enum => $"{Codecs}.EnumCodec<{shape.CreateName}, global::System.{shape.EnumUnderlying}, {Codecs}.{shape.EnumUnderlying}Codec>",
            ShapeKind.Nullable => Composite("NullableCodec", shape.Element!),
            ShapeKind.Array => Composite("ArrayCodec", shape.Element!),
            ShapeKind.List => Composite("ListCodec", shape.Element!),
            ShapeKind.HashSet => Composite("HashSetCodec", shape.Element!),
            ShapeKind.Dictionary => Composite("DictionaryCodec", shape.Element!),
            ShapeKind.SessionData => $"{Codecs}.DataCodec<{shape.CreateName}>",
            _ => $"{Codecs}.{shape.Kind}Codec",
        };

        /// <summary>
        /// Codecs work on types without nullable annotations; where the member's declared type has some (a
        /// <c>string?</c>, a <c>List&lt;string?&gt;</c>), <c>!</c> states the codec handles the nulls.
        /// </summary>
        internal static string Forgive(TypeShape shape) => shape.TypeName == shape.CreateName ? string.Empty : "!";

        private static string Composite(string codec, TypeShape element) => $"{Codecs}.{codec}<{element.CreateName}, {Codec(element)}>";

        public static string Emit(SessionTypeModel model)
        {
            var w = new IndentedWriter();
            WriteInType(w, model, "the serializer", $"{model.Keyword} {Escape(model.Name)} : global::SessionConnector.ISessionData<{model.FullyQualifiedName}>", () =>
                new TypeWriter(model, w).Write());
            return w.ToString();
        }

        /// <summary>Writes the <c>ISessionData&lt;T&gt;</c> members of one type.</summary>
        private sealed class TypeWriter
        {
            private readonly SessionTypeModel _model;
            private readonly IndentedWriter _w;
            private readonly string _t;
            private readonly string _iface;

            public TypeWriter(SessionTypeModel model, IndentedWriter writer)
            {
                _model = model;
                _w = writer;
                _t = model.FullyQualifiedName;
                _iface = $"global::SessionConnector.ISessionData<{_t}>";
            }

            private EquatableArray<MemberModel> Members => _model.Members;

            private bool IsClass => !_model.IsValueType;

            public void Write()
            {
                WriteMessagePack();
                ReadMessagePack();
                WriteJson();
                ReadJson();
                DeepClone();
                _w.Line($"static {_t} {_iface}.CreateDefault() => {Construction.Default(_model)};");
            }

            private void WriteMessagePack()
            {
                using (_w.Open($"static void {_iface}.WriteMessagePack(ref {Writer} writer, {_t} value)"))
                {
                    NullGuard("writer.WriteNil();");
                    _w.Line($"writer.WriteMapHeader({Members.Count});");
                    foreach (var m in Members)
                    {
                        _w.Line($"""
                            {Runtime}.WriteKey(ref writer, {Literal(m.Key)}u8);
                            {Codec(m.Shape)}.Write(ref writer, value.{Escape(m.Name)}{Forgive(m.Shape)});
                            """);
                    }
                }

                _w.Line();
            }

            private void WriteJson()
            {
                using (_w.Open($"static void {_iface}.WriteJson({JsonWriter} writer, {_t} value)"))
                {
                    NullGuard("writer.WriteNullValue();");
                    _w.Line("writer.WriteStartObject();");
                    foreach (var m in Members)
                    {
                        _w.Line($"""
                            writer.WritePropertyName({Literal(m.Key)}u8);
                            {Codec(m.Shape)}.WriteJson(writer, value.{Escape(m.Name)}{Forgive(m.Shape)});
                            """);
                    }

                    _w.Line("writer.WriteEndObject();");
                }

                _w.Line();
            }

            private void NullGuard(string writeNull)
            {
                if (IsClass)
                {
                    using (_w.Open("if (value is null)"))
                    {
                        _w.Line(writeNull).Line("return;");
                    }

                    _w.Line();
                }
            }

            private void ReadMessagePack()
            {
                ReadEntry($"static {_t} {_iface}.ReadMessagePack(ref {Reader} reader)", () =>
                {
                    if (IsClass)
                    {
                        _w.Line("""
                            if (reader.TryReadNil())
                            {
                                return null!;
                            }

                            """);
                    }

                    _w.Line($"var count = {Runtime}.EnterMap(ref reader);");
                    DeclareLocals();
                    using (_w.Open("for (var i = 0; i < count; i++)"))
                    {
                        MemberSwitch($"{Runtime}.ReadKey(ref reader, i, {KeyTable()}, ref __seen)", "Read(ref reader)", $"{Runtime}.Skip(ref reader);");
                    }

                    _w.Line().Line($"{Runtime}.Leave(ref reader);");
                });
            }

            private void ReadJson()
            {
                ReadEntry($"static {_t} {_iface}.ReadJson(ref {JsonReader} reader)", () =>
                {
                    if (IsClass)
                    {
                        using (_w.Open($"if ({Runtime}.StartIsNull(ref reader))"))
                        {
                            _w.Line("return null!;");
                        }

                        _w.Line();
                    }
                    else
                    {
                        _w.Line($"_ = {Runtime}.StartIsNull(ref reader);");
                    }

                    _w.Line($"{Runtime}.EnterJson(ref reader, {JsonToken}.StartObject);");
                    DeclareLocals();
                    using (_w.Open($"for (var i = 0; {Runtime}.NextProperty(ref reader); i++)"))
                    {
                        MemberSwitch($"{Runtime}.ReadJsonKey(ref reader, i, {KeyTable()}, ref __seen)", "ReadJson(ref reader)", $"{Runtime}.SkipJson(ref reader);");
                    }

                    _w.Line();
                });
            }

            /// <summary>
            /// The member keys for the readers, as constants: all keys in one UTF-8 literal and where each ends. The
            /// compiler stores both as static data (one copy however often they are named), so a type needs no key
            /// table built at startup and no class to hold one.
            /// </summary>
            private string KeyTable()
            {
                var names = string.Concat(Members.Select(m => m.Key));
                var ends = new List<int>();
                var end = 0;
                foreach (var m in Members)
                {
                    end += System.Text.Encoding.UTF8.GetByteCount(m.Key);
                    ends.Add(end);
                }

                // new int[] (not [..]): the same static data, and C# 11 (what u8 literals and the interface need) suffices.
                return $"{Literal(names)}u8, new int[] {{ {string.Join(", ", ends)} }}";
            }

            /// <summary>A reader entry point: decode errors of any kind leave as one <c>SessionFormatException</c>.</summary>
            private void ReadEntry(string signature, Action body)
            {
                using (_w.Open(signature))
                {
                    using (_w.Open("try"))
                    {
                        body();
                        if (!ReadsInPlace)
                        {
                            Construction.Write(_w, _model, Had, i => $"__v{i}");
                        }

                        _w.Line("return __result;");
                    }

                    using (_w.Open($"catch (global::System.Exception ex) when ({Runtime}.IsDecodeError(ex))"))
                    {
                        _w.Line($"throw {Runtime}.Wrap({Literal(_model.Name)}, ex);");
                    }
                }

                _w.Line();
            }

            /// <summary>
            /// True when every member is set after construction (plain setters and fields, no constructor arguments,
            /// init or required members): the reader then builds the instance first and assigns each value as it is
            /// read, with no per-member local, flag or copy afterwards.
            /// </summary>
            private bool ReadsInPlace => _model.Construction.Arguments.Count == 0 && _model.Construction.Initialized.Count == 0;

            /// <summary>
            /// Where values land while reading: the instance itself (<see cref="ReadsInPlace"/>), else one local per
            /// member for its value and one for "the payload had it", built into the instance once all are read.
            /// </summary>
            private void DeclareLocals()
            {
                // "The payload had it" per member, so a duplicate key is refused (and, when not read in place, a
                // missing member keeps the constructor's value): one bit each of __seen, set and checked by ReadKey,
                // so no member's case carries its own check (issue 21's per-type size); past the 64th, a flag each.
                if (ReadsInPlace)
                {
                    _w.Line($"var __result = {Construction.Default(_model)};");
                }
                else
                {
                    for (var i = 0; i < Members.Count; i++) _w.Line($"{Members[i].Shape.TypeName} __v{i} = default!;");
                }

                _w.Line("var __seen = 0UL;");
                for (var i = SeenBits; i < Members.Count; i++) _w.Line($"var __h{i} = false;");
            }

            /// <summary>How many members have a bit in <c>__seen</c> (the runtime's ReadKey marks the first 64).</summary>
            private const int SeenBits = 64;

            /// <summary>Whether the payload had member <paramref name="i"/>.</summary>
            private string Had(int i) => i < SeenBits ? $"(__seen & 0x{1UL << i:X}UL) != 0" : $"__h{i}";

            private void MemberSwitch(string match, string read, string skip)
            {
                using (_w.Open($"switch ({match})"))
                {
                    for (var i = 0; i < Members.Count; i++)
                    {
                        var shape = Members[i].Shape;
                        var value = $"{Codec(shape)}.{read}{Forgive(shape)}";
                        // A key met twice in one object is refused (a duplicate must not silently change meaning):
                        // ReadKey checks the first 64 members' bits, MarkRead the flag of any further one.
                        var mark = i < SeenBits ? "" : $"{Runtime}.MarkRead(ref __h{i});\n    ";
                        _w.Line(ReadsInPlace
                            ? $"""
                                case {i}:
                                    {mark}__result.{Escape(Members[i].Name)} = {value};
                                    break;
                                """
                            : $"""
                                case {i}:
                                    __v{i} = {value};
                                    {mark}break;
                                """);
                    }

                    _w.Line($"""
                        default:
                            {skip}
                            break;
                        """);
                }
            }

            private void DeepClone()
            {
                using (_w.Open($"static {_t} {_iface}.DeepClone({_t} value)"))
                {
                    if (IsClass)
                    {
                        using (_w.Open("if (value is null)"))
                        {
                            _w.Line("return null!;");
                        }

                        _w.Line();
                    }

                    Construction.Write(_w, _model, _ => null, i => CloneExpression(Members[i]));
                    _w.Line("return __result;");
                }

                _w.Line();
            }

            /// <summary>Immutable values are copied by assignment; everything else through its codec's deep copy.</summary>
            private static string CloneExpression(MemberModel m)
            {
                var value = "value." + Escape(m.Name);
                return m.Shape.IsImmutable ? value : $"{Codec(m.Shape)}.DeepClone({value}{Forgive(m.Shape)}){Forgive(m.Shape)}";
            }
        }
    }
}
