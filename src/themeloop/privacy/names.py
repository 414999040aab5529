"""Common given names and surnames in England, for names spaCy's small model misses.

spaCy finds most capitalised full names. It misses names typed in lower case
("spoke to sarah jones") and single first names after a role ("my worker is
kerry"). These lists let :class:`~themeloop.privacy.recognisers.NameContextRecognizer`
catch those, only where the context says a person is meant.
"""

from __future__ import annotations

FIRST_NAMES = frozenset("""
aaliyah aaron abbie abdul abdullah abigail adam adrian ahmed aidan aimee aisha alan albert alex
alexander alexandra alfie ali alice alicia alison amanda amara amber amelia amina amir amy andrea
andrew andy angela anna anne annie anthony archie arthur asha ashley aston ava barbara barry
ben benjamin beth bethany bill billy bob bradley brandon brian bronwen caitlin callum cameron carl
carly carol caroline carys catherine charlie charlotte chantelle chelsea chloe chris christine
christopher claire clare colin connor craig daisy dale damian dan daniel danielle darren dave
david dawn dean debbie deborah declan deepak denise dennis derek diane dominic donna dylan eddie
edward eileen eleanor elizabeth ella ellie eloise emily emma eric erin ethan eve evie faisal faith
farah fatima femi finley finn fiona frances frank freddie freya gail gareth gary gavin gemma
george georgia gerald gillian glen gordon grace graham hannah harriet harry harvey hayley hazel
heather helen henry holly hope hussain ian imogen imran isaac isabel isabella isla ismail jack
jacob jade jake james jamie jane janet jasmine jason jay jayden jean jennifer jenny jessica joan
joanne jodie joe joel john jonathan jordan joseph josh joshua joy judith julie karen kate katie
kayleigh keith kelly kerry kevin khadija kieran kim kirsty kwame kyle laura lauren layla leah leanne
lee leo leon lewis liam lily linda lisa lola louise lucy luke lydia maisie malcolm mandy marcus
margaret maria marie mark martin mary matthew maya megan melanie mia michael michelle mohammed
mohammad molly muhammad nadia naomi natalie nathan neil niamh nicholas nicola nigel noah olivia
oliver omar oscar owen paige pamela patricia patrick paul paula peter phil philip phoebe poppy
priya rachel rebecca reece rhys richard rita rob robert robin rose ross ruby ruth ryan sadia sally
sam samantha samuel sandra sara sarah scarlett scott sean shabana shannon sharon shaun sheila
simon sophia sophie stacey stephanie stephen steve steven stuart sue susan suzanne tanya tariq
teresa theo thomas tim timothy tina toby tom tony tracey tracy tyler usman vanessa victoria vicky
wayne wendy will william yasmin yusuf zac zach zainab zara zoe
""".split())

#: Given names that are also everyday words: only taken as names when capitalised
#: and not at the start of a sentence, or when a role or title comes before them.
WORD_NAMES = frozenset("""
amber bill bob carol dawn dean eve faith frank gail grace hazel holly hope jay joy kim lee mark
may penny ray rob rose ruby sandy sue will
""".split())

SURNAMES = frozenset("""
abbott ahmed akhtar ali allen anderson armstrong atkinson bailey baker ball barker barnes bates
begum bell bennett bibi booth bradley brown butler campbell carter chapman clark clarke cole
collins cook cooper cox davies davis dawson dixon doyle edwards ellis evans fisher fletcher
foster fox gibson graham grant gray green griffiths hall harris harrison hart hill holmes hughes
hunt hussain jackson james jenkins johnson johnston jones kaur kelly kennedy khan king knight
kowalski lee lewis lloyd marshall martin mason matthews mensah miller mills mitchell moore morgan
morris murphy murray nowak okafor owen palmer parker patel pearson phillips powell price
richards richardson roberts robinson rogers rose russell scott shaw simpson singh smith stevens
stewart taylor thomas thompson turner walker walsh ward watson webb white williams wilson wood
wright young
""".split())
