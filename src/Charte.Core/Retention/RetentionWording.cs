using System.Globalization;
using Charte.Charters;

namespace Charte.Retention;

/// <summary>
/// Says a retention rule in plain words, the way a privacy policy would:
/// "3 ans à compter du dernier contact, puis suppression" / "3 years from the last contact, then deleted".
/// </summary>
public static class RetentionWording
{
    public static string Describe(RetentionRule rule, Charter charter, string language)
    {
        var fr = language == "fr";
        var text = new System.Text.StringBuilder();

        if (rule.When is { } when)
        {
            var phrase = EventLabel(charter, when.Id, language);
            text.Append(fr ? $"si {phrase} intervient : " : $"if {phrase} occurs: ");
        }

        if (rule.Until is { } until)
        {
            text.Append(Until(until, charter, language));
        }
        else if (rule.From is { } from)
        {
            text.Append(Period(rule.Active ?? Iso8601Period.Zero, language)).Append(' ').Append(From(from, charter, language));
        }

        if (rule.Archive is { IsZero: false } archive)
        {
            text.Append(fr ? $", puis archivage intermédiaire pendant {Period(archive, language)}" : $", then kept in intermediate archive for {Period(archive, language)}");
        }

        text.Append(rule.Then switch
        {
            EndAction.Delete => fr ? ", puis suppression" : ", then deleted",
            EndAction.Anonymise => fr ? ", puis anonymisation" : ", then anonymised",
            EndAction.KeepAnonymousStats => fr ? ", puis seules des statistiques anonymes sont conservées" : ", then only anonymous statistics are kept",
            null => "",
        });
        return text.ToString();
    }

    /// <summary>"3 ans", "1 an et 6 mois", "13 months".</summary>
    public static string Period(Iso8601Period period, string language)
    {
        var fr = language == "fr";
        if (period.IsZero)
        {
            return fr ? "0 jour" : "0 days";
        }

        var parts = new List<string>();
        void Add(int n, string frOne, string frMany, string enOne, string enMany)
        {
            if (n > 0)
            {
                var unit = fr ? (n == 1 ? frOne : frMany) : (n == 1 ? enOne : enMany);
                parts.Add(n.ToString(CultureInfo.InvariantCulture) + " " + unit);
            }
        }

        Add(period.Years, "an", "ans", "year", "years");
        Add(period.Months, "mois", "mois", "month", "months");
        Add(period.Weeks, "semaine", "semaines", "week", "weeks");
        Add(period.Days, "jour", "jours", "day", "days");
        var and = fr ? " et " : " and ";
        return parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + and + parts[^1];
    }

    private static string From(RetentionAnchor anchor, Charter charter, string language)
    {
        var fr = language == "fr";
        var events = anchor.Events.Select(e => EventLabel(charter, e.Id, language)).ToList();
        if (anchor.EndOfCalendarYear)
        {
            return fr ? $"à compter de la fin de l'année civile {French.Of(events[0])}" : $"from the end of the calendar year of {events[0]}";
        }

        return anchor.Combination switch
        {
            EventCombination.LatestOf => fr
                ? "à compter " + string.Join(" ou ", events.Select(French.Of)) + ", selon la date la plus tardive"
                : "from " + string.Join(" or ", events) + ", whichever is later",
            EventCombination.FirstOf => fr
                ? "à compter " + string.Join(" ou ", events.Select(French.Of)) + ", selon la date la plus proche"
                : "from " + string.Join(" or ", events) + ", whichever comes first",
            EventCombination.Single => fr ? "à compter " + French.Of(events[0]) : "from " + events[0],
        };
    }

    private static string Until(RetentionAnchor anchor, Charter charter, string language)
    {
        var fr = language == "fr";
        var events = anchor.Events.Select(e => EventLabel(charter, e.Id, language)).ToList();
        if (anchor.EndOfCalendarYear)
        {
            return fr ? $"jusqu'à la fin de l'année civile {French.Of(events[0])}" : $"until the end of the calendar year of {events[0]}";
        }

        var joined = fr ? string.Join(" ou ", events.Select(e => "jusqu'" + French.To(e))) : "until " + string.Join(" or ", events);
        return anchor.Combination switch
        {
            EventCombination.LatestOf => joined + (fr ? ", selon la date la plus tardive" : ", whichever is later"),
            EventCombination.FirstOf => joined + (fr ? ", selon la date la plus proche" : ", whichever comes first"),
            EventCombination.Single => joined,
        };
    }

    private static string EventLabel(Charter charter, string id, string language) =>
        charter.FindEvent(id)?.Label.In(language) ?? id;
}

/// <summary>French contractions of "de" and "à" with the article of a noun phrase.</summary>
internal static class French
{
    /// <summary>"de" + "le dernier contact" = "du dernier contact"; "de" + "la collecte" = "de la collecte".</summary>
    public static string Of(string phrase) => Contract(phrase, "de ", "du ", "des ", "d'");

    /// <summary>"à" + "le paiement complet" = "au paiement complet"; "à" + "la fin" = "à la fin".</summary>
    public static string To(string phrase) => Contract(phrase, "à ", "au ", "aux ", "à ");

    private static string Contract(string phrase, string plain, string masculine, string plural, string beforeVowel)
    {
        if (phrase.StartsWith("le ", StringComparison.Ordinal))
        {
            return masculine + phrase[3..];
        }

        if (phrase.StartsWith("les ", StringComparison.Ordinal))
        {
            return plural + phrase[4..];
        }

        if (phrase.Length > 0 && plain == "de " && "aeiouhéèêâîôûAEIOUHÉ".Contains(phrase[0], StringComparison.Ordinal)
            && !phrase.StartsWith("l'", StringComparison.Ordinal))
        {
            return beforeVowel + phrase;
        }

        return plain + phrase;
    }
}
