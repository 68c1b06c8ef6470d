package builtin

// Word lists for lower-case text. Every entry is lower case; multi-word names
// are written with spaces and match token by token. Text whose apostrophes
// were stripped splits a possessive or an elided letter into a word of its
// own ("sainsbury s", "o neill"), so such names are listed that way too.

// lowerFirstNames add to firstNames the given names frequent in news and
// sport that the cased list lacks.
const lowerFirstNames = `
jade bernie lindsay arsene thierry ruud rafa cesc freddie jermain jermaine gianfranco kieron rio shaun jonny clive lleyton marat
serena amelie denise kylie elton leonardo quentin clint hilary condoleezza gerry tessa estelle hazel lembit
vince iain piers rupert viktor yulia leonid junichiro mahmoud ariel ehud hosni muammar bashar ayad iyad
nouri jalal tariq recep silvio luiz lula fidel ghazi wen ratan lakshmi mukesh sachin sourav rahul inzamam
shoaib ricky dwain linford marcus ronnie padraig sergio vijay retief shania norah jose sven goran kenny
gwyneth keanu jude russell nicole reese renee scarlett uma whoopi meryl halle jennifer orlando jamie
kanye beyonce britney justin robbie kelly jools mel melvyn jeremy jonathan dermot davina ant dec chris
ashley wes glenn les hamish lawrie rowan jacqui hazel margaret patricia ruth charles alistair alastair
oliver nicky gus cherie carole ann ken livingstone menzies zac theo trevor tessa harriet yvette
paddy chad jody nadia natasha ronan boyzone gillian kirsty lorraine sharon sandra
`

// lowerTitles precede a name; after them any word but a function word is
// taken for a surname ("mr pound").
const lowerTitles = `mr mrs ms dr sir dame lord lady baroness baron prof professor rev reverend`

// lowerRoles precede a name in news text ("prime minister tony blair",
// "striker thierry henry"); they are not part of it.
const lowerRoles = `
president minister secretary chancellor senator governor mayor director judge justice king queen prince
princess pope general captain coach manager premier ambassador commissioner chief executive chairman
chairwoman spokesman spokeswoman spokesperson analyst economist striker midfielder defender goalkeeper
winger keeper skipper actor actress singer star boss leader founder ceo cfo chef rapper comedian
presenter host author writer director producer player champion colleague rival opponent deputy
`

// lowerFunctionWords never start or continue a name, even after a title.
const lowerFunctionWords = `
a an the this that these those it its he she they we you i his her their our my your him them me us
and or but nor yet so if then than as at by for from in into of on onto off out over to up upon with
without about after before against among between during under until since via per is are was were be
been being am has have had do does did will would shall should can could may might must not no yes all
any each every some most more less many much few both either neither other another such own same said
says say told also just only even still again however who whom whose which what when where why how
there here now very too s t ve ll re d m
`

// lowerSurnameCues follow a surname mentioned alone that is also an
// ordinary word ("straw said", "brown s budget").
const lowerSurnameCues = `said says told added insisted argued warned admitted denied claimed believes
believed wrote stated explained announced urged called s`

// lowerPeople are well-known people of the news: politicians, business
// leaders, sports and show people, separated by "|" or line breaks.
const lowerPeople = `
tony blair|gordon brown|jack straw|david blunkett|charles clarke|john prescott|alan milburn|peter mandelson
alastair campbell|geoff hoon|john reid|patricia hewitt|tessa jowell|ruth kelly|margaret beckett|hilary benn
alan johnson|david miliband|ed miliband|robin cook|clare short|ken livingstone|lord falconer|lord goldsmith
michael howard|oliver letwin|liam fox|david davis|david cameron|iain duncan smith|william hague|john major
margaret thatcher|kenneth clarke|michael portillo|theresa may|tim collins|howard flight|charles kennedy
menzies campbell|vince cable|mark oaten|simon hughes|lembit opik|nick clegg|robert kilroy-silk
jack mcconnell|alex salmond|gerry adams|martin mcguinness|ian paisley|david trimble|rhodri morgan
neil kinnock|james callaghan|harold wilson|roy jenkins|george galloway|frank dobson|clare short
george bush|george w bush|bill clinton|hillary clinton|john kerry|dick cheney|colin powell|condoleezza rice
donald rumsfeld|alan greenspan|john snow|arnold schwarzenegger|al gore|kofi annan|vladimir putin
jacques chirac|gerhard schroeder|silvio berlusconi|jose manuel barroso|romano prodi|tony abbott
junichiro koizumi|hu jintao|wen jiabao|ariel sharon|mahmoud abbas|yasser arafat|saddam hussein
osama bin laden|hamid karzai|viktor yushchenko|viktor yanukovych|mikhail khodorkovsky|manmohan singh
pervez musharraf|nelson mandela|robert mugabe|thabo mbeki|jean-claude juncker|angela merkel
bill gates|steve ballmer|steve jobs|larry page|sergey brin|eric schmidt|michael dell|carly fiorina
rupert murdoch|richard branson|alan sugar|philip green|bernie ecclestone|roman abramovich|malcolm glazer
bernard ebbers|kenneth lay|jeffrey skilling|martha stewart|warren buffett|mervyn king|jean-claude trichet
greg dyke|mark thompson|michael grade|gavyn davies|jeremy paxman|john humphrys|john simpson
alex ferguson|arsene wenger|jose mourinho|rafael benitez|sven-goran eriksson|sven goran eriksson
david beckham|wayne rooney|michael owen|steven gerrard|frank lampard|thierry henry|ruud van nistelrooy
rio ferdinand|john terry|sol campbell|ashley cole|jermain defoe|alan shearer|graeme souness|kevin keegan
harry redknapp|sam allardyce|david moyes|martin o neill|gordon strachan|roy keane|patrick vieira
ronaldinho|ronaldo|zinedine zidane|luis figo|andriy shevchenko|didier drogba|arjen robben|petr cech
jonny wilkinson|martin johnson|clive woodward|andy robinson|brian o driscoll|gareth thomas|gavin henson
lawrence dallaglio|jason robinson|matt dawson|mike tindall|ronan o gara|paul o connell|eddie o sullivan
tim henman|greg rusedski|andy murray|roger federer|lleyton hewitt|andy roddick|marat safin|rafael nadal
serena williams|venus williams|maria sharapova|lindsay davenport|amelie mauresmo|justine henin-hardenne
kim clijsters|paula radcliffe|kelly holmes|jason gardener|darren campbell|mark lewis-francis|dwain chambers
linford christie|colin jackson|carl lewis|marion jones|tim montgomerie|kostas kenteris|katerina thanou
lance armstrong|michael schumacher|jenson button|david coulthard|fernando alonso|tiger woods|colin montgomerie
andrew flintoff|michael vaughan|shane warne|brian lara|ricky ponting|sachin tendulkar|steve harmison
ellen macarthur|steve redgrave|matthew pinsent|chris hoy|bradley wiggins|amir khan|joe calzaghe
lennox lewis|mike tyson|ronnie o sullivan|jimmy white|ian botham|geoff boycott|nasser hussain
elton john|paul mccartney|mick jagger|robbie williams|madonna|bono|kylie minogue|jamelia|joss stone
james blunt|chris martin|pete doherty
kanye west|eminem|alicia keys|beyonce|britney spears|michael jackson|snoop dogg
tom cruise|brad pitt|angelina jolie|nicole kidman|leonardo dicaprio|martin scorsese|clint eastwood
hilary swank|jamie foxx|morgan freeman|cate blanchett|kate winslet|johnny depp|jude law|keanu reeves
mel gibson|michael moore|steven spielberg|george lucas|peter jackson|quentin tarantino|orlando bloom
imelda staunton|mike leigh|ken loach|ricky gervais|jonathan ross|chris evans|simon cowell
russell crowe|will smith|tom hanks|julia roberts|scarlett johansson|natalie portman|charlize theron
`

// lowerSurnames are surnames of people in lowerPeople and others frequent in
// the news. One that is not a common word is a PERSON wherever it stands; the
// others need a title, a role or a cue.
const lowerSurnames = `
blair brown straw blunkett clarke prescott milburn mandelson campbell hoon hewitt jowell beckett benn
miliband livingstone falconer goldsmith howard letwin cameron hague thatcher portillo kennedy oaten
kilroy-silk mcconnell salmond paisley trimble kinnock callaghan galloway bush clinton kerry cheney
powell rumsfeld greenspan schwarzenegger annan putin chirac schroeder berlusconi barroso prodi koizumi
sharon abbas arafat karzai yushchenko yanukovych khodorkovsky musharraf mandela mugabe mbeki juncker
gates ballmer jobs murdoch branson ecclestone abramovich glazer ebbers skilling buffett dyke paxman
ferguson wenger mourinho benitez eriksson beckham rooney gerrard lampard henry ferdinand shearer
souness keegan redknapp allardyce moyes strachan keane vieira zidane figo shevchenko drogba robben
wilkinson dallaglio henman rusedski federer hewitt roddick safin nadal sharapova davenport mauresmo
radcliffe flintoff vaughan warne lara ponting tendulkar harmison macarthur redgrave pinsent calzaghe
tyson botham boycott schumacher coulthard alonso mccartney jagger minogue spielberg tarantino scorsese
dicaprio kidman jolie pitt cruise gervais cowell woodward sullivan
`

// lowerOrgs are organisations named in lower-case news text, separated by
// "|" or line breaks.
const lowerOrgs = `
bbc|itv|channel 4|channel five|bskyb|sky news|sky sports|sky one|cnn|nbc|cbs|abc news|fox news|mtv|hbo
reuters|associated press|bloomberg|ofcom|ofgem|ofwat|ofsted|financial times|wall street journal
new york times|daily mail|daily telegraph|sunday times
labour|labour party|conservatives|conservative party|tories|tory party|lib dems|liberal democrats
lib dem|ukip|uk independence party|snp|scottish national party|plaid cymru|sinn fein|dup|green party|bnp|veritas
republicans|democrats|republican party|democratic party
home office|foreign office|treasury|downing street|cabinet office|ministry of defence|department of health
department of trade and industry|dti|department for education|department for work and pensions
house of commons|house of lords|commons|parliament|congress|senate|white house|pentagon|kremlin
scotland yard|mi5|mi6|crown prosecution service|cps|electoral commission|audit commission
national audit office|office for national statistics|ons|competition commission|office of fair trading
oft|serious fraud office|financial services authority|fsa|cbi|tuc|nhs|bma|unison|amicus|rmt
bank of england|federal reserve|european central bank|ecb|imf|international monetary fund|world bank
wto|world trade organization|opec|oecd|un|united nations|security council|unicef|world health organization
eu|european union|european commission|european parliament|council of europe|nato|interpol|red cross
amnesty international|oxfam|greenpeace|al-qaeda|al qaeda|hamas|hezbollah|taleban|taliban|ira
fifa|uefa|fa|football association|premier league|ioc|iaaf|uk athletics|rfu|wru|irfu|sru|ecb|icc|lta
wada|rugby football union|lawn tennis association|england and wales cricket board
arsenal|chelsea|liverpool|manchester united|man utd|man united|manchester city|man city|everton|tottenham
spurs|aston villa|newcastle united|leeds united|celtic|rangers|real madrid|barcelona|ac milan|inter milan
juventus|bayern munich|fc porto|fulham|charlton|crystal palace|west brom
west ham|birmingham city|sheffield united|nottingham forest|leicester tigers|sale sharks|london irish
saracens|harlequins|llanelli scarlets|neath-swansea ospreys|cardiff blues|newport gwent dragons
microsoft|apple|google|yahoo|ibm|intel|amd|dell|hp|hewlett-packard|oracle|sun microsystems|cisco|nokia
motorola|samsung|sony|nintendo|sega|electronic arts|vodafone|o2|t-mobile|bt|ntl|telewest|aol|ebay
amazon|paypal|skype|lenovo|siemens|philips|toshiba|hitachi|fujitsu|panasonic|canon|kodak|xerox|symantec
mcafee|mozilla|netscape|realnetworks|macromedia|adobe|sap|tivo|research in motion|palmone|psion|napster
kazaa|grokster|emi|bmg|sony bmg|warner music|universal music|warner bros|time warner|disney|pixar
franz ferdinand|kaiser chiefs|razorlight|dreamworks|miramax|freddie mac|fannie mae|virgin blue|streamcast|riaa|bpi|mpaa|apple computer|microsoft corp|bp|shell|royal dutch shell|exxonmobil
exxon|chevron|yukos|gazprom|rosneft|enron|worldcom|parmalat|ahold|boeing|airbus|eads|bae systems
rolls-royce|british airways|easyjet|ryanair|virgin|virgin atlantic|virgin radio|virgin mobile|lufthansa
air france|klm|alitalia|united airlines|delta air lines|qantas|gm|general motors|ford|fiat|toyota|honda
nissan|volkswagen|vw|bmw|daimlerchrysler|chrysler|peugeot|renault|mg rover|tesco|sainsbury|sainsbury s
asda|wal-mart|walmart|marks and spencer|m&s|woolworths|dixons|hmv|whitbread|glaxosmithkline|gsk
astrazeneca|pfizer|merck|unilever|nestle|coca-cola|pepsico|mcdonald s|cadbury schweppes|burberry
barclays|hsbc|lloyds tsb|royal bank of scotland|rbs|hbos|abbey|abbey national|northern rock
standard chartered|citigroup|goldman sachs|morgan stanley|jp morgan|merrill lynch|deutsche bank|ubs
credit suisse|axa|aviva|prudential|allianz|london stock exchange|lse|deutsche boerse|euronext|nyse
new york stock exchange|nasdaq|dow jones|standard & poor s|moody s|ftse|glazer family|manchester united plc
`

// lowerLabourNonOrg follow "labour" where it is the ordinary word.
const lowerLabourNonOrg = `market markets costs cost force forces shortage shortages laws law relations
camp camps day disputes dispute unions union rights standards unrest`

// lowerOrgOfDomains are the common words that may name the domain of a
// ministry or department ("ministry of defence").
const lowerOrgOfDomains = `defence defense health education finance communications trade industry justice
agriculture culture media sport foreign affairs interior home economy energy transport labour environment
science technology information work pensions employment commerce treasury state`

// lowerOrgSuffixes end a company name ("paypal holdings inc"); the name
// before them is made of words that are not common words.
const lowerOrgSuffixes = `inc corp corporation ltd plc llc ag gmbh sa holdings group airlines airways
motors bank bancorp telecom communications pharmaceuticals entertainment industries technologies
systems networks software electronics petroleum securities ventures studios records`

// lowerOrgInner may stand inside a company name before a suffix although
// they are common words ("yukos oil company").
const lowerOrgInner = `oil gas energy steel motor media financial capital international national
global royal general united first new american british european music pictures film records`

// lowerUSContext follow "us" where it means the United States.
const lowerUSContext = `president government firm firms company companies economy dollar dollars
military troops officials market markets stocks shares authorities administration state states
embassy forces army navy congress senate court courts election elections consumer consumers retail
trade deficit budget interest rate rates federal bank banks giant group chart charts box office
network networks navy citizens soldiers version release singer star film films television tv
`
