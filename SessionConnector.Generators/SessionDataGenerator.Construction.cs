using System;
using System.Collections.Generic;
using System.Linq;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

public sealed partial class SessionDataGenerator
{
    /// <summary>
    /// Writes object creation from a type's <see cref="ConstructionPlan"/>: the one place that knows constructor
    /// arguments, object initializers and setters, for the readers, the deep copy, the default and the merge.
    /// </summary>
    internal static class Construction
    {
        /// <summary>The value a brand-new instance starts with: default arguments, <c>required</c> members as <c>default</c>.</summary>
        public static string Default(SessionTypeModel model)
            => $"new {model.FullyQualifiedName}({string.Join(", ", model.Construction.Arguments.Select(p => p.DefaultValueExpression))}){RequiredDefaults(model)}";

        /// <summary>
        /// Writes <c>var __result = …;</c> from member values. <paramref name="has"/> returns null when the value is
        /// always present (deep copy, merge); otherwise a member missing from the payload keeps what the constructor
        /// gave it.
        /// </summary>
        public static void Write(IndentedWriter w, SessionTypeModel model, Func<int, string?> has, Func<int, string> value)
        {
            var plan = model.Construction;
            var members = model.Members;
            var create = New(model, has, value);
            var initialized = plan.Initialized.ToList();
            if (initialized.Count > 0 && has(initialized[0]) is null)
            {
                Initializer(w, members, "var __result = " + create, initialized, value);
            }
            else
            {
                w.Line($"var __result = {create}{RequiredDefaults(model)};");
                if (initialized.Count > 0)
                {
                    // init accessors only run in an object initializer: build again, keeping the constructor's
                    // value (field initializer, default) for every member not in the payload.
                    using (w.Open($"if ({string.Join(" || ", initialized.Select(i => has(i)))})"))
                    {
                        Initializer(w, members, "__result = " + create, initialized, i => $"{has(i)} ? {value(i)} : __result.{Escape(members[i].Name)}");
                    }
                }
            }

            foreach (var i in plan.Assigned)
            {
                var assign = $"__result.{Escape(members[i].Name)} = {value(i)};";
                if (has(i) is { } h)
                {
                    using (w.Open($"if ({h})"))
                    {
                        w.Line(assign);
                    }
                }
                else
                {
                    w.Line(assign);
                }
            }
        }

        private static string New(SessionTypeModel model, Func<int, string?> has, Func<int, string> value)
        {
            var args = model.Construction.Arguments.Select(p => p.Member < 0
                ? p.DefaultValueExpression
                : has(p.Member) is { } h ? $"({h} ? {value(p.Member)} : {p.DefaultValueExpression})" : value(p.Member));
            return $"new {model.FullyQualifiedName}({string.Join(", ", args)})";
        }

        private static string RequiredDefaults(SessionTypeModel model)
        {
            var required = model.Construction.Required.Select(i => Escape(model.Members[i].Name) + " = default!").ToList();
            return required.Count == 0 ? string.Empty : " { " + string.Join(", ", required) + " }";
        }

        private static void Initializer(IndentedWriter w, EquatableArray<MemberModel> members, string head, List<int> initialized, Func<int, string> value)
        {
            w.Line(head).Line("{");
            foreach (var i in initialized)
            {
                w.Line($"    {Escape(members[i].Name)} = {value(i)},");
            }

            w.Line("};");
        }
    }
}
