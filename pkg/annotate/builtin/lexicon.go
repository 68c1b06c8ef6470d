package builtin

import "strings"

// The word lists below are deliberately small: they cover frequent news
// vocabulary, not the world. Lookups are case-sensitive on the token's text,
// so each list holds the forms that occur in running text.

// firstNames start a PERSON when followed by a capitalised surname.
const firstNames = `
Aaron Abdul Ludwig Leopold Gustav Ingrid Sven Lars Olaf Anders Mats Nils Abdullah Abraham Adam Adrian Ahmed Aidan Aisha Alan Alastair Albert Alex Alexander Alexandra Alexis Alfred Ali Alice Alicia Alison Alistair Allan Allen Amanda Amber Amy Ana Andre André Andrea Andreas Andrew Andy Angela Angelina Angus Anil Ann Anna Anne Annie Anthony Antonio Archie Arnold Arthur Ashley Audrey Barack Barbara Barry Ben Benjamin Bernard Bernie Beth Betty Bill Billy Bjorn Björn Bob Bobby Boris Brad Bradley Brandon Brenda Brendan Brian Bruce Bruno Bryan Carl Carlos Carol Caroline Catherine Cecilia Charles Charlie Charlotte Cheryl Chris Christian Christina Christine Christopher Claire Clare Claudia Colin Connor Craig Dan Daniel Danny Darren Dave David Dawn Dean Deborah Denis Dennis Derek Diana Diane Dick Dmitry Dominic Don Donald Donna Doris Dorothy Douglas Duncan Dylan Ed Eddie Edgar Edith Edward Edwin Elaine Eleanor Elena Eli Elizabeth Ellen Emily Emma Emmanuel Eric Erik Ernest Ethan Eugene Eva Evan Fatima Felix Fernando Fiona Frances Francesca Francesco Francis Francisco François Frank Franz Fred Frederick Gabriel Gareth Gary Gavin Geoff Geoffrey George Georgia Gerald Gerhard Gillian Giovanni Giuseppe Gordon Graham Greg Gregory Hamid Hannah Hans Harold Harriet Harry Hassan Heather Helen Helmut Henry Hillary Howard Hugh Hugo Hussein Ian Igor Irene Isaac Isabel Isabella Ivan Jack Jacob Jacques Jake James Jamie Jan Jane Janet Janice Jason Javier Jean Jean-Claude Jean-Luc Jean-Paul Jean-Pierre Jeff Jeffrey Jennifer Jenny Jeremy Jerry Jessica Jill Jim Jimmy Joan Joanna Joe Joel Johan Johann Johannes John Johnny Jon Jonathan Jorge Jose José Joseph Josh Joshua Juan Judith Judy Julia Julian Julie Jürgen Justin Karen Karl Kate Katherine Kathleen Kathryn Katie Keith Kelly Ken Kenneth Kevin Kim Kirsty Klaus Kofi Kurt Larry Laura Lauren Laurence Lawrence Lee Leo Leon Leonard Lewis Liam Linda Lisa Liz Louis Louise Lucas Lucy Luis Luke Łukasz Lynn Malcolm Manuel Marc Marco Margaret Maria Marie Mario Marion Mark Martin Mary Matt Matthew Maurice Max Maxine Megan Mehmet Melanie Michael Michel Michelle Miguel Mike Mikhail Mohamed Mohammed Muhammad Nancy Naomi Natalie Nathan Neil Nicholas Nick Nicola Nicolas Nigel Noah Norman Oliver Olivia Omar Oscar Owen Pablo Pamela Patricia Patrick Paul Paula Pedro Penny Peter Phil Philip Philippe Pierre Rachel Rafael Ralph Raymond Rebecca Renée Rhys Richard Rick Rob Robert Roberto Robin Roger Roman Ronald Rory Ross Roy Ruth Ryan Sadiq Sally Sam Samantha Samuel Sandra Sara Sarah Scott Sean Sebastian Sergei Sergey Shane Sharon Sheila Simon Sophie Stanley Stefan Stephanie Stephen Steve Steven Stuart Sue Susan Søren Tanya Teresa Terry Theresa Thomas Tim Timothy Tina Todd Tom Tommy Tony Tracy Valerie Vanessa Victor Victoria Vincent Vladimir Walter Wayne Wendy William Wolfgang Xavier Yasser Yusuf Zoe Zoë
`

// ambiguousFirstNames are first names that are also common words; alone they
// do not make a PERSON.
const ambiguousFirstNames = `Bill Dawn Dean Don Frank Grant Guy Jack Jan Lee Mark May Max Penny Pat Rob Rose Sue Will Faith Hope Joy Ruth Roman Victor Georgia Summer`

// titles precede a PERSON and are not part of it.
const titles = `Mr Mrs Ms Miss Mx Dr Sir Dame Lord Lady Prof Professor Rev Reverend Madame Monsieur Mme Herr Frau Sr Sra Sheikh`

// roles precede a PERSON in news text ("President Bush", "chief executive
// Jeff Bezos"); they are not part of it.
const roles = `President president CEO Chairman chairman Chairwoman chairwoman Chancellor chancellor Minister minister Secretary secretary Senator senator Sen Governor governor Gov Mayor mayor Director director Judge judge Justice King Queen Prince Princess Pope General Gen Colonel Col Captain Capt captain Coach coach Manager manager Premier premier Ambassador ambassador Commissioner commissioner Inspector Sergeant Detective Bishop Archbishop Cardinal Rep Representative Chief chief Executive executive spokesman spokeswoman spokesperson analyst economist striker midfielder defender goalkeeper actor actress singer boss leader Leader founder Founder CFO COO CTO chief`

// orgSuffixes end an organisation name ("Paypal Holdings Inc"). Those in
// orgAbbrevSuffixes take a following full stop into the entity ("Corp.").
const orgSuffixes = `Inc Corp Corporation Ltd Limited plc PLC LLC LLP LP Co Company Group Holdings Bank Bancorp AG SA SE NV BV GmbH KG Oyj ASA AB SpA Airlines Airways Motors Partners Capital Industries Technologies Systems Pharmaceuticals Entertainment Communications Telecom Networks Software Electronics Energy Petroleum Insurance Securities Investments Ventures Labs Foundation Institute University College Association Council Commission Agency Party Club Society Trust Fund Federation Union Authority Ministry Department Organisation Organization Studios Records Media Press Times Post Journal News Exchange Reserve`

const orgAbbrevSuffixes = `Inc Corp Ltd Co Bros`

// orgOfHeads start an organisation continued by "of" and a name ("Bank of
// England", "University of Oxford").
const orgOfHeads = `Bank University Ministry Department Bureau Office Commission Council Court Institute College Church Federation Association Union Board Chamber Academy Museum School Society Organisation Organization House`

// stopCaps are capitalised forms that never belong to a name: function
// words, reporting verbs and frequent headline words.
const stopCaps = `A An The This That These Those It Its He She They We You I His Her Their Our My Your And Or But Nor Yet So If Then Than As At By For From In Into Of On Onto Off Out Over To Up Upon With Without About After Before Against Among Between During Under Until Since Via Per Is Are Was Were Be Been Being Am Has Have Had Do Does Did Will Would Shall Should Can Could May Might Must Not No Yes All Any Each Every Some Most More Less Many Much Few Both Either Neither Other Another Such Own Same Said Says Say Told Tells Added Adds Sold Sells Sell Buys Buy Bought Sees See Saw Gets Get Got Makes Make Made Takes Take Took Wins Win Won Loses Lose Lost Rises Rise Rose Falls Fall Fell Cuts Cut Hits Hit Plans Plan Warns Warn Calls Call Backs Back Faces Face Quits Quit Joins Join Leaves Leave Named Names Hires Hire Fires Fire Shares Share Stock Stocks Profit Profits Sales Deal Deals Report Reports Reported Announces Announced Agrees Agreed Urges Urged Why What When Where Who How Which While Here There Now Today Yesterday Tomorrow Also Just Only Even Still Again However Meanwhile Although Though Because Once Last Next First Second Third Chief Senior Former Ex Acting Deputy Vice Top Mr Mrs Ms Dr`

// particles join parts of a personal name ("Ludwig van Beethoven").
const particles = `van von der den de da del della di du le la bin ibn al el dos das`

// currencySymbols precede an amount; currencyPrefixes combine with a "$".
const currencySymbols = `$ £ € ¥ ₹ ₽ ₩ ₺ ₪ ₦ ฿`

const dollarPrefixes = `US A C HK NZ S NT R`

// currencyWords follow an amount ("20 million euros"); currencyCodes may do
// either ("USD 5m", "5m EUR").
const currencyWords = `dollar dollars euro euros pound pounds sterling pence penny cents cent yen yuan renminbi rupee rupees rouble roubles ruble rubles franc francs krona kronor krone kroner peso pesos real reais rand won lira shekels dinar dinars riyal riyals dirham dirhams baht ringgit Dollars Euros Pounds Pence Cents Yen Yuan`

const currencyCodes = `USD EUR GBP JPY CNY CHF CAD AUD HKD INR RUB SEK NOK DKK BRL ZAR KRW MXN SGD NZD`

// magnitudes scale an amount; attachedMagnitudes are written against the
// number ("£1.2bn", "€300m").
const magnitudes = `thousand million billion trillion bn mn tn m Thousand Million Billion Trillion`

const attachedMagnitudes = `k m bn mn b tn trn K M B`

const percentWords = `percent pct Percent`

const months = `January February March April May June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec`

const monthAbbrevs = `Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec`

// standaloneMonths are month names that are a DATE without a day or year.
const standaloneMonths = `January February April June July August September October November December`

const weekdays = `Monday Tuesday Wednesday Thursday Friday Saturday Sunday`

// yearPrepositions before a four-digit year make it a DATE.
const yearPrepositions = `in In since Since until Until by By during During from From of to before Before after After early late mid end`

// gazetteer holds known names with their label. Multi-word names are written
// with spaces and match token by token.
var gazetteer = map[string]string{
	// organisations
	"Microsoft": "ORG", "Google": "ORG", "Apple": "ORG", "Amazon": "ORG", "IBM": "ORG", "Intel": "ORG",
	"Oracle": "ORG", "Yahoo": "ORG", "eBay": "ORG", "PayPal": "ORG", "Facebook": "ORG", "Twitter": "ORG",
	"Netflix": "ORG", "Tesla": "ORG", "Nokia": "ORG", "Sony": "ORG", "Samsung": "ORG", "Toyota": "ORG",
	"Honda": "ORG", "Nissan": "ORG", "Ford": "ORG", "Boeing": "ORG", "Airbus": "ORG", "Vodafone": "ORG",
	"BP": "ORG", "Shell": "ORG", "Barclays": "ORG", "HSBC": "ORG", "Lloyds": "ORG", "Tesco": "ORG",
	"Sainsbury's": "ORG", "Unilever": "ORG", "Nestle": "ORG", "Nestlé": "ORG", "Siemens": "ORG",
	"Volkswagen": "ORG", "BMW": "ORG", "Fiat": "ORG", "Renault": "ORG", "Walmart": "ORG", "Citigroup": "ORG",
	"Goldman Sachs": "ORG", "Morgan Stanley": "ORG", "JPMorgan": "ORG", "JP Morgan": "ORG", "Merrill Lynch": "ORG",
	"Deutsche Bank": "ORG", "UBS": "ORG", "Credit Suisse": "ORG", "Wells Fargo": "ORG", "Marks & Spencer": "ORG",
	"Rolls-Royce": "ORG", "Coca-Cola": "ORG", "PepsiCo": "ORG", "McDonald's": "ORG", "Disney": "ORG",
	"General Electric": "ORG", "General Motors": "ORG", "AOL": "ORG", "Time Warner": "ORG", "Enron": "ORG",
	"BBC": "ORG", "Reuters": "ORG", "ITV": "ORG", "CNN": "ORG", "Ofcom": "ORG", "Ofgem": "ORG",
	"UN": "ORG", "United Nations": "ORG", "Nato": "ORG", "NATO": "ORG", "EU": "ORG", "European Union": "ORG",
	"European Commission": "ORG", "IMF": "ORG", "WTO": "ORG", "World Bank": "ORG", "Opec": "ORG", "OPEC": "ORG",
	"FBI": "ORG", "CIA": "ORG", "NHS": "ORG", "Fifa": "ORG", "FIFA": "ORG", "Uefa": "ORG", "UEFA": "ORG",
	"Federal Reserve": "ORG", "Bank of England": "ORG", "European Central Bank": "ORG", "ECB": "ORG",
	"Labour": "ORG", "Conservatives": "ORG", "Tories": "ORG", "Lib Dems": "ORG", "Liberal Democrats": "ORG",
	"Republicans": "ORG", "Democrats": "ORG", "Congress": "ORG", "Parliament": "ORG", "Senate": "ORG",
	"Downing Street": "ORG", "Treasury": "ORG", "Home Office": "ORG", "Foreign Office": "ORG", "Pentagon": "ORG",
	"Arsenal": "ORG", "Chelsea": "ORG", "Liverpool FC": "ORG", "Manchester United": "ORG", "Man Utd": "ORG",
	"Real Madrid": "ORG", "Barcelona FC": "ORG", "Nasdaq": "ORG", "FTSE": "ORG", "Dow Jones": "ORG",
	// countries, cities, regions
	"Britain": "GPE", "UK": "GPE", "U.K.": "GPE", "United Kingdom": "GPE", "England": "GPE", "Scotland": "GPE",
	"Wales": "GPE", "Ireland": "GPE", "Northern Ireland": "GPE", "US": "GPE", "U.S.": "GPE", "USA": "GPE",
	"United States": "GPE", "America": "GPE", "Canada": "GPE", "Mexico": "GPE", "Brazil": "GPE",
	"Argentina": "GPE", "France": "GPE", "Germany": "GPE", "Italy": "GPE", "Spain": "GPE", "Portugal": "GPE",
	"Netherlands": "GPE", "Belgium": "GPE", "Switzerland": "GPE", "Austria": "GPE", "Sweden": "GPE",
	"Norway": "GPE", "Denmark": "GPE", "Finland": "GPE", "Poland": "GPE", "Greece": "GPE", "Turkey": "GPE",
	"Russia": "GPE", "Ukraine": "GPE", "China": "GPE", "Japan": "GPE", "India": "GPE", "Pakistan": "GPE",
	"Indonesia": "GPE", "Australia": "GPE", "New Zealand": "GPE", "South Africa": "GPE", "Nigeria": "GPE",
	"Egypt": "GPE", "Israel": "GPE", "Iran": "GPE", "Iraq": "GPE", "Afghanistan": "GPE", "Syria": "GPE",
	"Saudi Arabia": "GPE", "Korea": "GPE", "South Korea": "GPE", "North Korea": "GPE", "Thailand": "GPE",
	"Sri Lanka": "GPE", "Singapore": "GPE", "Hong Kong": "GPE", "Taiwan": "GPE",
	"London": "GPE", "Paris": "GPE", "Berlin": "GPE", "Brussels": "GPE", "Madrid": "GPE", "Rome": "GPE",
	"Moscow": "GPE", "Beijing": "GPE", "Shanghai": "GPE", "Tokyo": "GPE", "New York": "GPE",
	"Washington": "GPE", "Los Angeles": "GPE", "Chicago": "GPE", "San Francisco": "GPE", "Edinburgh": "GPE",
	"Glasgow": "GPE", "Cardiff": "GPE", "Belfast": "GPE", "Dublin": "GPE", "Manchester": "GPE",
	"Birmingham": "GPE", "Leeds": "GPE", "Sydney": "GPE", "Toronto": "GPE", "Mumbai": "GPE", "Delhi": "GPE",
	"Baghdad": "GPE", "Kabul": "GPE", "Jerusalem": "GPE", "Geneva": "GPE", "Zurich": "GPE", "Frankfurt": "GPE",
	"Munich": "GPE", "Milan": "GPE", "Vienna": "GPE", "Amsterdam": "GPE", "Stockholm": "GPE", "Kiev": "GPE",
	"Kyiv": "GPE", "Athens": "GPE", "Istanbul": "GPE", "Dubai": "GPE", "Lagos": "GPE", "Nairobi": "GPE",
	"São Paulo": "GPE", "Zürich": "GPE", "Köln": "GPE", "München": "GPE",
	"Europe": "LOC", "Asia": "LOC", "Africa": "LOC", "Middle East": "LOC", "Latin America": "LOC",
	"Indian Ocean": "LOC", "Atlantic": "LOC", "Pacific": "LOC", "Mediterranean": "LOC", "Gulf": "LOC",
	"Silicon Valley": "LOC", "Wall Street": "LOC", "City of London": "LOC",
	// nationalities and groups
	"British": "NORP", "English": "NORP", "Scottish": "NORP", "Welsh": "NORP", "Irish": "NORP",
	"American": "NORP", "Americans": "NORP", "Canadian": "NORP", "French": "NORP", "German": "NORP",
	"Germans": "NORP", "Italian": "NORP", "Spanish": "NORP", "Dutch": "NORP", "Swiss": "NORP",
	"Swedish": "NORP", "Russian": "NORP", "Russians": "NORP", "Chinese": "NORP", "Japanese": "NORP",
	"Indian": "NORP", "Pakistani": "NORP", "Australian": "NORP", "European": "NORP", "Europeans": "NORP",
	"Asian": "NORP", "African": "NORP", "Israeli": "NORP", "Palestinian": "NORP", "Iraqi": "NORP",
	"Iranian": "NORP", "Muslim": "NORP", "Muslims": "NORP", "Christian": "NORP", "Christians": "NORP",
	"Jewish": "NORP", "Catholic": "NORP", "Republican": "NORP", "Democrat": "NORP", "Democratic": "NORP",
}

func set(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
