"""Word lists for the dataset generator: Dutch and Flemish names, trades, streets and places.

Real-ish, not real: surnames and first names are the common ones of the Netherlands and
Flanders; cities carry postcode ranges that roughly match PostNL's and bpost's numbering, so a
generated "Utrecht 35xx" looks right to a Dutch reader.
"""

from __future__ import annotations

__all__ = [
    "BE_BANKS",
    "BE_CITIES",
    "BE_LEGAL_FORMS",
    "BE_STREETS",
    "FANTASY_WORDS",
    "FIRST_NAMES",
    "JOB_TITLES",
    "NL_BANKS",
    "NL_CITIES",
    "NL_LEGAL_FORMS",
    "NL_STREETS",
    "PREFIXES",
    "SURNAMES",
    "TRADES",
]

# fmt: off

SURNAMES: tuple[str, ...] = (
    "Jansen", "Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Boer", "Vos",
    "Peters", "Hendriks", "Dekker", "Brouwer", "Dijkstra", "Bos", "Linden", "Berg",
    "Kok", "Willems", "Jacobs", "Vermeulen", "Schouten", "Hoekstra", "Koster", "Prins",
    "Huisman", "Peeters", "Maes", "Claes", "Goossens", "Wouters", "Mertens", "Janssens",
    "Timmermans", "Postma", "Kuipers", "Veenstra", "Kramer", "Verhoeven", "Bosch",
    "Leeuwen", "Dam", "Wijk", "Graaf", "Heuvel", "Broek", "Beek", "Haan", "Sanders",
    "Gerritsen", "Hermans", "Evers", "Verbeek", "Lambrechts", "Aerts", "Vandenberghe",
    "Coppens", "Dubois", "Lemmens", "Verstraeten", "Kuijpers", "Bosman", "Scholten",
    "Groen", "Zwart", "Wit", "Roos", "Hoek", "Molenaar", "Koning", "Martens", "Blom",
    "Smeets", "Boom", "Laan", "Vink", "Dijk", "Steen", "Ruiter", "Wolters", "Hofman",
    "Arts", "Brink", "Nieuwenhuis", "Drost", "Pauwels", "Claessens", "Vervoort", "Stam",
    "Kooistra", "Terpstra", "Wagenaar", "Veldman", "Bergsma", "Zijlstra", "Douma",
    "Haverkamp", "Oosterhout", "Rietveld", "Winkel", "Buitenhuis", "Smulders", "Geerts",
    "Coenen", "Driessen", "Verschuren", "Hulshof", "Brugman", "Tromp", "Kremer",
    "Vlasman", "Oudshoorn", "Korteweg", "Pranger", "Slagter", "Hoogland", "Bouwman",
    "Wijnands", "Lagerweij", "Knol", "Rozendaal", "Spaans", "Vonk", "Faber", "Kroon",
    "Akkerman", "Appelman", "Baas", "Beekman", "Bergman", "Bijl", "Blokland", "Boersma",
    "Bolhuis", "Bonsel", "Borst", "Brands", "Bremer", "Bruins", "Cornelissen", "Damen",
    "Derksen", "Dirks", "Doorn", "Eijkelboom", "Engelen", "Feenstra", "Franken", "Geurts",
    "Goedhart", "Haak", "Hamers", "Heemskerk", "Heijnen", "Hilbrands", "Hoogendoorn",
    "Huijbers", "Jonker", "Kamphuis", "Keizer", "Klaassen", "Kleinjan", "Kok", "Koopman",
    "Kortekaas", "Kuiper", "Lammers", "Langeveld", "Lubbers", "Luiten", "Manders", "Meeuwsen",
    "Mol", "Noordhoek", "Nijhuis", "Oosterbeek", "Otten", "Pols", "Poort", "Raaijmakers",
    "Reijnders", "Rijken", "Roelofs", "Rutten", "Schipper", "Schreurs", "Sikkema", "Slot",
    "Snijders", "Spijker", "Stoffels", "Swinkels", "Teunissen", "Thijssen", "Valk", "Veen",
    "Verhagen", "Verkerk", "Vermeer", "Verweij", "Voskuil", "Vreeswijk", "Wassenaar",
    "Westerhof", "Wiersma", "Wijnen", "Zandbergen", "Zuidema", "Claeys", "Desmet", "Dewulf",
    "Hermans", "Jacobs", "Leroy", "Michiels", "Nys", "Segers", "Vandamme", "Verbruggen",
    "Vermeiren", "Wuyts", "Baert", "Cools", "Daems", "Geens", "Luyten", "Smets", "Vanhoof",
)
# Prefixes (tussenvoegsels) that go with some surnames; "" for none.
PREFIXES: tuple[str, ...] = (
    "", "", "", "", "de", "van", "van der", "van den", "van de", "ter", "van 't", "den",
)
FIRST_NAMES: tuple[str, ...] = (
    "Jan", "Pieter", "Sanne", "Anouk", "Daan", "Lotte", "Bram", "Eva", "Thijs", "Femke",
    "Joost", "Marloes", "Kees", "Ingrid", "Wouter", "Sophie", "Ruben", "Julia", "Sem",
    "Noor", "Tim", "Lisa", "Koen", "Emma", "Stijn", "Fleur", "Lars", "Iris", "Gert",
    "Annelies", "Hendrik", "Mieke", "Joris", "Hanneke", "Bart", "Ellen", "Niels", "Karin",
    "Geert", "Lieve", "Wim", "Marleen", "Jeroen", "Saskia", "Maarten", "Ilse", "Sven",
    "Renée", "Chloë", "Zoë", "Jesús", "Anaïs",
)
JOB_TITLES: tuple[str, ...] = (
    "Directeur", "Eigenaar", "Financieel controller", "Boekhouder", "Office manager",
    "Inkoper", "Projectleider", "Administratief medewerker", "Zaakvoerder", "CFO",
)
TRADES: tuple[str, ...] = (
    "Bakkerij", "Installatiebedrijf", "Adviesbureau", "Transport", "Bouwbedrijf",
    "Schildersbedrijf", "Hoveniersbedrijf", "Autobedrijf", "Loodgietersbedrijf",
    "Accountantskantoor", "Advocatenkantoor", "Architectenbureau", "Ingenieursbureau",
    "Drukkerij", "Slagerij", "Kapsalon", "Fietsenmaker", "Timmerfabriek", "Metaalbewerking",
    "Dakdekkersbedrijf", "Elektrotechniek", "Installatietechniek", "Schoonmaakbedrijf",
    "Tandartspraktijk", "Fysiotherapie", "Makelaardij", "Verhuur", "Groothandel",
    "Handelsonderneming", "Logistiek", "Software", "Consultancy", "Vastgoed", "Catering",
    "Brasserie", "Café", "Reclamebureau", "Bloemisterij", "Kwekerij", "Veehandel",
    "Tegelzetter", "Stukadoorsbedrijf", "Glaszetterij", "Rijschool", "Opticien",
    "Juwelier", "Boekhandel", "Dierenkliniek", "Zorgboerderij", "Kinderopvang",
    "Notariskantoor", "Belastingadvies", "Vertaalbureau", "Fotografie", "Evenementen",
    "Verhuizingen", "Koeltechniek", "Zonnepanelen", "Klimaattechniek", "Grondverzet",
    "Straatwerk", "Tuincentrum", "Meubelmakerij", "Keukenstudio", "Sanitair", "Webdesign",
    "ICT Diensten", "Personeelsdiensten", "Uitzendbureau", "Beveiliging", "Taxibedrijf",
    "Koeriersdienst", "Bandenservice", "Carrosserie", "Aannemersbedrijf", "Restauratie",
)
FANTASY_WORDS: tuple[str, ...] = (
    "Zonnestraal", "Noorderlicht", "Horizon", "De Eendracht", "Het Anker", "De Molen",
    "Polderland", "Waterkant", "Lindeboom", "De Zwaan", "Vlinder", "Kompas", "Vuurtoren",
    "Duinzicht", "Boschrand", "Klavertje", "Regenboog", "Meridiaan", "Poort", "De Hoeve",
    "Zeeland", "Veluwe", "Brabant", "Kempen", "Twente", "Achterhoek", "Westland",
    "Dijkzicht", "Eikenhof", "Zeemeeuw", "Windkracht", "Kraanvogel", "Groene Hart",
    "Wadden", "Biesbosch", "Maasland", "Rivierenland", "Oostpoort", "Zuiderzon",
    "Sterrenwacht", "Lichtpunt", "Morgenrood", "Buitenplaats", "Tulpenveld", "Koraal",
)
# (long form as printed, weight); "" is a name without legal form.
NL_LEGAL_FORMS: tuple[str, ...] = (
    "B.V.", "B.V.", "B.V.", "B.V.", "BV", "V.O.F.", "VOF", "N.V.", "C.V.", "", "", "",
)
BE_LEGAL_FORMS: tuple[str, ...] = ("BV", "BV", "NV", "BVBA", "CommV", "VZW", "SRL", "SA", "")
NL_STREETS: tuple[str, ...] = (
    "Hoofdstraat", "Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenweg", "Stationsweg",
    "Julianalaan", "Beatrixlaan", "Wilhelminastraat", "Nieuwstraat", "Marktplein",
    "Industrieweg", "Kastanjelaan", "Eikenlaan", "Beukenlaan", "Lindelaan", "Parallelweg",
    "Havenkade", "Prinsengracht", "Herengracht", "Oranjestraat", "Spoorstraat",
    "Burgemeester de Withstraat", "Van Goghstraat", "Rembrandtplein", "Zuiderdijk",
    "Noordersingel", "Energieweg", "Ambachtsweg", "Nijverheidsweg", "Vondellaan",
    "Dr. Schaepmanstraat", "Stationsplein", "Kanaalweg", "Tolweg", "Prins Bernhardlaan",
)
BE_STREETS: tuple[str, ...] = (
    "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Nieuwstraat", "Molenstraat",
    "Kapelstraat", "Grote Markt", "Steenweg op Gent", "Brusselsesteenweg", "Leuvensestraat",
    "Industrielaan", "Koning Albertlaan", "Kouter", "Meir", "Veldstraat",
)
# City, first and last postcode of a plausible range.
NL_CITIES: tuple[tuple[str, int, int], ...] = (
    ("Amsterdam", 1011, 1109),
    ("Haarlem", 2011, 2037),
    ("Zaandam", 1501, 1509),
    ("Alkmaar", 1811, 1825),
    ("Leiden", 2311, 2334),
    ("Den Haag", 2491, 2597),
    ("Delft", 2611, 2629),
    ("Rotterdam", 3011, 3089),
    ("Dordrecht", 3311, 3329),
    ("Utrecht", 3511, 3585),
    ("Amersfoort", 3811, 3829),
    ("Gouda", 2801, 2809),
    ("Zwolle", 8011, 8045),
    ("Deventer", 7411, 7429),
    ("Enschede", 7511, 7548),
    ("Arnhem", 6811, 6846),
    ("Nijmegen", 6511, 6546),
    ("Apeldoorn", 7311, 7339),
    ("Eindhoven", 5611, 5658),
    ("Tilburg", 5011, 5049),
    ("'s-Hertogenbosch", 5211, 5237),
    ("Breda", 4811, 4839),
    ("Maastricht", 6211, 6229),
    ("Venlo", 5911, 5928),
    ("Groningen", 9711, 9747),
    ("Leeuwarden", 8911, 8939),
    ("Assen", 9401, 9409),
    ("Middelburg", 4331, 4339),
    ("Almere", 1311, 1363),
    ("Hoorn", 1621, 1628),
)
BE_CITIES: tuple[tuple[str, int, int], ...] = (
    ("Brussel", 1000, 1000),
    ("Antwerpen", 2000, 2060),
    ("Gent", 9000, 9000),
    ("Leuven", 3000, 3001),
    ("Brugge", 8000, 8000),
    ("Hasselt", 3500, 3500),
    ("Mechelen", 2800, 2800),
    ("Kortrijk", 8500, 8500),
    ("Aalst", 9300, 9300),
    ("Genk", 3600, 3600),
)
# IBAN bank code and BIC (De Nederlandsche Bank's BIC/bank code table; NBB's protocol list).
NL_BANKS: tuple[tuple[str, str], ...] = (
    ("ABNA", "ABNANL2A"),
    ("INGB", "INGBNL2A"),
    ("RABO", "RABONL2U"),
    ("SNSB", "SNSBNL2A"),
    ("ASNB", "ASNBNL21"),
    ("TRIO", "TRIONL2U"),
    ("KNAB", "KNABNL2H"),
    ("BUNQ", "BUNQNL2A"),
)
BE_BANKS: tuple[tuple[str, str], ...] = (
    ("310", "BBRUBEBB"),
    ("001", "GEBABEBB"),
    ("735", "KREDBEBB"),
    ("068", "GKCCBEBB"),
    ("973", "ARSPBE22"),
)
# fmt: on
